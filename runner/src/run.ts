import { join } from 'node:path';
import { mkdirSync, readFileSync } from 'node:fs';
import { runConformance, sentences, type Task } from '@servebench/contract';
import { Pipeline, WordPieceTokenizer, createBackend } from '@servebench/inference';
import { ensureModel, type ModelFiles } from '@servebench/model';
import type { StackSpec } from './discover.js';
import { captureEnvironment } from './environment.js';
import { composeLauncher, type Launcher, type LaunchedStack } from './launch/compose.js';
import { LaunchError, launchProcess } from './launch/process.js';
import { modelServerInfo, withModelServer } from './launch/modelserver.js';
import { runLoad } from './load/engine.js';
import { runGrpcLoad } from './load/grpc-engine.js';
import { grpcReady, verifyGrpc } from './load/grpc-run.js';
import { buildGrpcWorkload, type GrpcWorkload } from './load/grpc-workload.js';
import type { LoadResult } from './load/types.js';
import { concurrencyFor, type RunSettings } from './profiles.js';
import { Progress } from './progress.js';
import { runRaw } from './raw/index.js';
import { sliceSeries, startSampler } from './resources/sampler.js';
import { writeJsonAtomic, type CellResult, type RunResults, type StackResult } from './results.js';
import { diffHistogram, scrapeHistogram } from './scrape.js';
import { assessStability } from './stats/stability.js';
import { buildWorkload, type Oracle, type Workload } from './workload.js';

export interface RunOptions {
  settings: RunSettings;
  stacks: StackSpec[];
  root: string;
  runDir: string;
  runId: string;
  /** An interrupted run to continue: finished stacks and cells are kept, the rest is measured. */
  resume?: RunResults;
}

/** Max abs difference allowed between a stack's embedding and the runner's in-process oracle. */
export const EMBED_TOLERANCE = 1e-4;
/** Load-generator event-loop utilisation above which a cell is flagged client-bound. */
export const CLIENT_BOUND_ELU = 0.95;

/** The runner's in-process tokenizer and model: the expected answers every stack is checked against. */
export async function loadOracle(files: ModelFiles, threads: number): Promise<Oracle & { close(): Promise<void> }> {
  const tokenizer = WordPieceTokenizer.fromVocabText(readFileSync(files.vocab, 'utf8'), {
    maxLength: files.config.maxPositions,
  });
  const backend = createBackend({
    backend: 'ort',
    modelPath: files.onnx,
    device: 'cpu',
    intraOpThreads: threads,
    interOpThreads: 1,
  });
  await backend.load();
  const pipeline = new Pipeline(tokenizer, backend, { maxQueue: 1 << 20 });
  return {
    tokenize: (t) => tokenizer.encode(t),
    embed: async (texts) => (await pipeline.predict(texts)).vectors.map((v) => Array.from(v)),
    close: () => backend.close(),
  };
}

function cellOf(s: RunSettings, task: Task, concurrency: number, load: LoadResult, startedAt: string): CellResult {
  const stability = assessStability(load.windows, { lastN: s.stableWindows, tolerance: s.stableTolerance });
  const failed = load.successes === 0;
  return {
    task,
    concurrency,
    status: failed ? 'failed' : stability.stable ? 'ok' : 'unstable',
    ...(failed ? { reason: `no verified successes; errors: ${JSON.stringify(load.errors)}` } : {}),
    load,
    stability,
    clientBound: load.clientElu > CLIENT_BOUND_ELU,
    startedAt,
  };
}

const summary = (c: CellResult) => {
  const errs = Object.entries(c.load.errors)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  return `${c.task} c=${c.concurrency}: ${c.load.rps.toFixed(0)} req/s, p50 ${c.load.latencyMs.p50.toFixed(2)} ms, p99 ${c.load.latencyMs.p99.toFixed(2)} ms${errs ? `, errors ${errs}` : ''}${c.status === 'unstable' ? ' [unstable]' : ''}${c.clientBound ? ' [client-bound]' : ''}`;
};

/** Launch, probe, verify, measure every cell, stop; for each stack in turn. Results are written after every cell. */
export async function runBenchmark(o: RunOptions): Promise<RunResults> {
  const s = o.settings;
  const files = await ensureModel(s.model, { seed: s.seed });
  const oracle = await loadOracle(files, s.intraOpThreads);
  const texts = sentences(s.sentences);
  const resultsFile = join(o.runDir, 'results.json');
  mkdirSync(join(o.runDir, 'logs'), { recursive: true });
  const t0 = performance.now();
  const results: RunResults = o.resume
    ? { ...o.resume, status: 'running' }
    : {
        schema: 1,
        runId: o.runId,
        status: 'running',
        startedAt: new Date().toISOString(),
        settings: s,
        environment: captureEnvironment(o.root),
        model: {
          name: files.config.name,
          seed: files.seed,
          sha256: files.sha256,
          hiddenSize: files.config.hiddenSize,
          layers: files.config.numLayers,
        },
        stacks: [],
      };
  const save = () => writeJsonAtomic(resultsFile, results);
  // Process launcher: proxy stacks (triton-*, tfserving-*) get their model server started first and stopped after.
  const launch: Launcher =
    s.launcher === 'compose'
      ? composeLauncher({ root: o.root })
      : withModelServer(launchProcess, { root: o.root, files, settings: s, note: (line) => progress.note(line) });

  const workloads = new Map<Task, Workload>();
  for (const task of s.tasks) workloads.set(task, await buildWorkload(task, texts, oracle, EMBED_TOLERANCE));
  // gRPC stacks: the same texts and oracle answers as servebench.v1.Serving calls.
  const grpcWorkloads = new Map<Task, GrpcWorkload>();
  if (o.stacks.some((x) => x.server.protocol === 'grpc')) {
    for (const task of s.tasks) grpcWorkloads.set(task, await buildGrpcWorkload(task, texts, oracle, EMBED_TOLERANCE));
  }

  const rawTasks = s.raw ? s.tasks.filter((t): t is 'tokenize' | 'predict' => t !== 'hello_world') : [];
  const cellsPerStack = s.tasks.reduce((n, t) => n + concurrencyFor(s, t).length, 0);
  const progress = new Progress(
    cellsPerStack * o.stacks.length + rawTasks.reduce((n, t) => n + concurrencyFor(s, t).length, 0),
  );

  const has = (r: StackResult, task: Task, c: number) => r.cells.some((x) => x.task === task && x.concurrency === c);
  /** The stack's entry: the one from the interrupted run if resuming, else a new pending one. */
  const entry = (fresh: StackResult): StackResult => {
    const old = results.stacks.find((x) => x.id === fresh.id);
    if (old) return old;
    results.stacks.push(fresh);
    return fresh;
  };

  if (rawTasks.length) {
    const raw = entry({
      id: 'raw+ort',
      server: 'raw',
      backend: 'ort',
      protocol: 'in-process',
      launcher: 'none',
      status: 'ok',
      cells: [],
    });
    for (const task of rawTasks) {
      for (const c of concurrencyFor(s, task)) {
        if (has(raw, task, c)) {
          progress.skipCells(1);
          continue;
        }
        progress.cell(raw.id, `${task} c=${c}`);
        const startedAt = new Date().toISOString();
        const load = await runRaw({
          task,
          onnx: files.onnx,
          vocab: files.vocab,
          maxLength: files.config.maxPositions,
          intraOpThreads: s.intraOpThreads,
          texts,
          concurrency: c,
          warmupMs: s.warmupS * 1000,
          durationMs: s.durationS * 1000,
          windowMs: s.windowS * 1000,
          batching: { maxBatchSize: s.maxBatchSize, maxQueueDelayUs: s.maxQueueDelayUs },
        });
        // The raw loop is the work itself, so its saturated event loop is not a client bottleneck.
        const cell = { ...cellOf(s, task, c, load, startedAt), clientBound: false };
        raw.cells.push(cell);
        save();
        progress.cellDone(summary(cell));
      }
    }
  }

  for (const stack of o.stacks) {
    const r = entry({
      id: stack.id,
      server: stack.server.id,
      backend: stack.backend,
      protocol: stack.server.protocol,
      language: stack.server.language,
      launcher: s.launcher,
      status: 'pending',
      cells: [],
    });
    if (r.status !== 'pending') {
      progress.skipCells(cellsPerStack);
      progress.note(`${stack.id}: kept from the interrupted run (${r.status})`);
      continue;
    }
    save();
    await measureStack(stack, r);
    save();
  }

  await oracle.close();
  results.status = 'complete';
  results.finishedAt = new Date().toISOString();
  results.wallS = Math.round((performance.now() - t0) / 100) / 10;
  save();
  return results;

  async function measureStack(stack: StackSpec, r: StackResult): Promise<void> {
    progress.note(`${stack.id}: launching (${s.launcher})`);
    let server: LaunchedStack;
    try {
      server = await launch(stack, {
        env: {
          MODEL: s.model,
          MODEL_SEED: String(s.seed),
          WORKERS: String(s.workers),
          INTRA_OP_THREADS: String(s.intraOpThreads),
          MAX_BATCH_SIZE: String(s.maxBatchSize),
          MAX_QUEUE_DELAY_US: String(s.maxQueueDelayUs),
          ...s.stackEnv[stack.id],
        },
        readyTimeoutMs: s.readyTimeoutS * 1000,
        logFile: join(o.runDir, 'logs', `${stack.id}.log`),
      });
    } catch (e) {
      const unavailable = e instanceof LaunchError && e.unavailable;
      r.status = unavailable ? 'skipped' : 'failed-launch';
      r.reason = (e as Error).message;
      progress.skipCells(cellsPerStack);
      progress.note(`${stack.id}: ${unavailable ? 'skipped (unavailable here)' : 'FAILED to launch'}: ${r.reason}`);
      return;
    }
    try {
      r.coldStartMs = server.coldStartMs;
      r.modelLoadMs = server.modelLoadMs;
      const grpc = stack.server.protocol === 'grpc';
      const ready = grpc
        ? await grpcReady(server.baseUrl)
        : ((await fetch(new URL('/readyz', server.baseUrl)).then((x) => x.json())) as {
            backend_info?: Record<string, string>;
          });
      r.backendInfo = { ...ready.backend_info, ...modelServerInfo(server) };
      const verifyOpts = { fast: true, embed: oracle.embed, tolerance: EMBED_TOLERANCE };
      r.verification = grpc
        ? await verifyGrpc(server.baseUrl, verifyOpts)
        : await runConformance(server.baseUrl, verifyOpts);
      const failed = r.verification.filter((v) => !v.ok);
      if (failed.length) {
        r.status = 'failed-verification';
        r.reason = failed.map((f) => `${f.id}: ${f.error}`).join('; ');
        progress.skipCells(cellsPerStack);
        progress.note(`${stack.id}: FAILED verification, not measured: ${r.reason}`);
        return;
      }
      progress.note(`${stack.id}: ready in ${server.coldStartMs} ms, verified (${r.verification.length} checks)`);
      for (const task of s.tasks) {
        for (const c of concurrencyFor(s, task)) {
          if (has(r, task, c)) {
            progress.skipCells(1);
            continue;
          }
          const exit = server.exited();
          if (exit) {
            r.status = 'crashed';
            r.reason = `exited with ${exit.code ?? exit.signal} before ${task} c=${c}:\n${server.logTail().slice(-800)}`;
            progress.note(`${stack.id}: CRASHED: ${r.reason}`);
            return;
          }
          progress.cell(stack.id, `${task} c=${c}`);
          const startedAt = new Date().toISOString();
          const batchesBefore =
            grpc || task !== 'predict' ? undefined : await scrapeHistogram(server.baseUrl, 'servebench_batch_size');
          const sampler = server.sampleResources?.() ?? startSampler(server.pid, 250);
          const common = {
            host: server.host,
            port: server.port,
            mode: s.mode,
            concurrency: c,
            ...(s.mode === 'open' ? { rate: s.rate, arrivals: s.arrivals } : {}),
            warmupMs: s.warmupS * 1000,
            durationMs: s.durationS * 1000,
            windowMs: s.windowS * 1000,
            timeoutMs: s.timeoutMs,
            threads: s.threads,
          };
          // gRPC: one HTTP/2 connection per load thread, but at least one per server worker (a connection sticks to one).
          const load = grpc
            ? await runGrpcLoad({ ...common, ...grpcWorkloads.get(task)!, channels: Math.max(s.threads, s.workers) })
            : await runLoad({ ...common, ...workloads.get(task)! });
          const series = sampler.stop();
          const cell = cellOf(s, task, c, load, startedAt);
          // Align samples with the measured interval (the engine reports when measuring started).
          const fromS = ((load.measureStartEpochMs ?? sampler.startEpochMs) - sampler.startEpochMs) / 1000;
          const sliced = sliceSeries(series, fromS, fromS + load.durationS);
          // A cell shorter than the sampling cadence (docker stats: 1 s) keeps every sample it has; one with none has no resources.
          const measured = sliced.samples.length ? sliced : series;
          if (series.samples.length) {
            cell.resources = {
              meanCpuPct: measured.meanCpuPct,
              peakCpuPct: Math.max(0, ...measured.samples.map((x) => x.cpuPct)),
              peakRssMb: series.peakRssMb,
              samples: series.samples.map(({ tS, cpuPct, rssMb }) => ({ tS, cpuPct, rssMb })),
            };
          }
          if (batchesBefore)
            cell.batching = diffHistogram(
              batchesBefore,
              await scrapeHistogram(server.baseUrl, 'servebench_batch_size'),
            );
          const died = server.exited();
          if (died) {
            cell.status = 'failed';
            cell.reason = `the server exited during the cell (${died.code ?? died.signal})`;
          }
          r.cells.push(cell);
          save();
          progress.cellDone(summary(cell));
        }
      }
      r.status = 'ok';
    } finally {
      const exit = await server.stop();
      if (r.status === 'ok' && exit.code !== 0 && exit.signal !== 'SIGTERM') {
        progress.note(`${stack.id}: note: exited with ${exit.code ?? exit.signal} on SIGTERM`);
      }
    }
  }
}
