import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROUTES, sentences } from '@servebench/contract';
import { WordPieceTokenizer } from '@servebench/inference';
import { ensureModel } from '@servebench/model';
import { discoverServers, filterStacks, stacksOf, type StackSpec } from './discover.js';
import { launchProcess, type Launched } from './launch/process.js';
import type { LoadResult } from './load/types.js';
import { runWrk, wrkAvailable } from './load/wrk.js';
import { runRaw } from './raw/index.js';
import type { RunResults } from './results.js';
import { EMBED_TOLERANCE, loadOracle } from './run.js';
import { buildWorkload, type Workload } from './workload.js';
import type { Placement } from './placement/index.js';
import { HELLO_WORKLOAD, closedLoad, issueTargets, type PerfRow as Row } from './perf-targets.js';

/**
 * `servebench perf`: the performance targets, each measured side by side in one run (rounds
 * alternate between the things compared, and the median of each is used), printed as ratios with
 * pass or fail. A benchmark, not a test: nothing here asserts wall-clock times.
 */
export interface PerfOptions {
  root: string;
  durationS: number;
  rounds: number;
  engine: 'wrk' | 'runner';
  /** Where the servers (taskset) and this process run; null: unpinned (`--cpus none`). */
  placement: Placement | null;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

function baseline(root: string, name: string): StackSpec {
  const dir = join(root, 'runner', 'perf-baselines');
  return {
    id: `minimal-${name}`,
    backend: 'none',
    server: {
      id: `minimal-${name}`,
      dir,
      protocol: 'http',
      start: ['node', `${name}.mjs`],
      backends: ['none'],
      env: {},
      language: 'javascript',
    },
  };
}

export async function runPerf(o: PerfOptions): Promise<{ rows: Row[]; text: string }> {
  const logs = mkdtempSync(join(tmpdir(), 'servebench-perf-'));
  const launched: Launched[] = [];
  const launch = async (s: StackSpec, env: Record<string, string> = {}, readyPath?: string) => {
    const l = await launchProcess(s, {
      env: { MODEL: 'mini', ...env },
      readyTimeoutMs: 120_000,
      logFile: join(logs, `${s.id}-${launched.length}.log`),
      readyPath,
      cpus: o.placement?.server,
    });
    launched.push(l);
    return l;
  };
  const ms = o.durationS * 1000;
  const load = (l: Launched, c: number, wl: Workload) => closedLoad(l, wl, c, o.durationS);
  const helloWl = HELLO_WORKLOAD;
  const useWrk = o.engine === 'wrk' && wrkAvailable();
  const hello = async (l: Launched): Promise<number> =>
    useWrk
      ? (
          await runWrk({
            url: `${l.baseUrl}${ROUTES.hello}`,
            connections: 64,
            threads: o.placement?.load.length ?? 1,
            durationS: o.durationS,
            timeoutS: 5,
          })
        ).rps
      : (await load(l, 64, helloWl)).rps;

  /** Alternates measurements of all targets for `rounds` rounds; returns the per-target medians. */
  async function sideBySide<T extends string>(targets: Record<T, () => Promise<number>>): Promise<Record<T, number>> {
    const got = Object.fromEntries(Object.keys(targets).map((k) => [k, [] as number[]])) as unknown as Record<
      T,
      number[]
    >;
    for (let r = 0; r < o.rounds; r++) {
      for (const k of Object.keys(targets) as T[]) {
        got[k].push(await targets[k]());
        process.stderr.write('.');
      }
    }
    process.stderr.write('\n');
    return Object.fromEntries(Object.entries(got).map(([k, v]) => [k, median(v as number[])])) as Record<T, number>;
  }

  const rows: Row[] = [];
  const where = o.placement
    ? `pinned server=${o.placement.server.join(',')} load=${o.placement.load.join(',')}`
    : 'unpinned';
  const row = (target: string, measured: string, ratio: number, goal: number, higherIsBetter = true) =>
    rows.push({
      target: `[${where}] ${target}`,
      measured,
      ratio,
      goal: `${higherIsBetter ? '>=' : '<='} ${goal}`,
      pass: higherIsBetter ? ratio >= goal : ratio <= goal,
    });
  const report = (target: string, measured: string, ratio = Number.NaN) =>
    rows.push({ target: `[${where}] ${target}`, measured, ratio, goal: 'reported', pass: true });

  try {
    const stacks = filterStacks(stacksOf(discoverServers(o.root)), ['express+ort', 'fastify+ort', 'hono+ort']);
    process.stderr.write(
      `perf: launching ${stacks.length} reference servers and 4 minimal baselines (${useWrk ? 'wrk' : 'runner engine'} for hello_world)\n`,
    );
    const ref = Object.fromEntries(
      await Promise.all(stacks.map(async (s) => [s.server.id, await launch(s)] as const)),
    ) as Record<string, Launched>;
    const min: Record<string, Launched> = {};
    for (const name of ['node-http', 'express', 'fastify', 'hono'])
      min[name] = await launch(baseline(o.root, name), {}, ROUTES.hello);

    // 1. Framework overhead on hello_world.
    process.stderr.write('perf: 1/4 framework overhead (hello_world)\n');
    const h = await sideBySide({
      'node-http': () => hello(min['node-http']!),
      ...Object.fromEntries(
        ['express', 'fastify', 'hono'].flatMap((f) => [
          [`minimal-${f}`, () => hello(min[f]!)],
          [f, () => hello(ref[f]!)],
        ]),
      ),
    } as Record<string, () => Promise<number>>);
    for (const f of ['express', 'fastify', 'hono']) {
      row(
        `${f} hello_world vs minimal ${f}`,
        `${h[f]!.toFixed(0)} vs ${h[`minimal-${f}`]!.toFixed(0)} req/s`,
        h[f]! / h[`minimal-${f}`]!,
        0.95,
      );
    }
    for (const f of ['fastify', 'hono'])
      row(
        `${f} hello_world vs bare node:http`,
        `${h[f]!.toFixed(0)} vs ${h['node-http']!.toFixed(0)} req/s`,
        h[f]! / h['node-http']!,
        0.9,
      );

    // 2. Serving overhead on predict against the raw in-process ceiling, batching off.
    process.stderr.write('perf: 2/4 predict serving overhead vs raw\n');
    const files = await ensureModel('mini');
    const texts = sentences('short');
    const oracle = await loadOracle(files, 1);
    const predictWl = await buildWorkload('predict', texts, oracle, EMBED_TOLERANCE);
    const rawCell = (c: number) =>
      runRaw({
        task: 'predict',
        onnx: files.onnx,
        vocab: files.vocab,
        ...files.tokenizer, // the checkpoint's tokenizer settings (max length 256 for all-MiniLM-L6-v2)
        intraOpThreads: 1,
        texts,
        concurrency: c,
        warmupMs: 1000,
        durationMs: ms,
        windowMs: 1000,
      });
    const cells: Record<string, LoadResult[]> = {};
    const keep = (k: string) => (r: LoadResult) => ((cells[k] ??= []).push(r), r.rps);
    await sideBySide({
      'raw c=1': () => rawCell(1).then(keep('raw c=1')),
      'raw c=32': () => rawCell(32).then(keep('raw c=32')),
      ...Object.fromEntries(
        Object.entries(ref).flatMap(([f, l]) =>
          [1, 32].map((c) => [`${f} c=${c}`, () => load(l, c, predictWl).then(keep(`${f} c=${c}`))]),
        ),
      ),
    } as Record<string, () => Promise<number>>);
    const med = (k: string, f: (r: LoadResult) => number) => median(cells[k]!.map(f));
    const best = Object.keys(ref).sort((a, b) => med(`${b} c=32`, (r) => r.rps) - med(`${a} c=32`, (r) => r.rps))[0]!;
    for (const c of [1, 32]) {
      const s = med(`${best} c=${c}`, (r) => r.rps);
      const r = med(`raw c=${c}`, (x) => x.rps);
      // Issue 17: at most 5% over the raw runtime call per request, i.e. req/s at least 1/1.05 of raw.
      row(
        `best stack (${best}) predict req/s vs raw, c=${c}`,
        `${s.toFixed(0)} vs ${r.toFixed(0)} req/s`,
        s / r,
        0.952,
      );
    }
    const p50s = med(`${best} c=1`, (r) => r.latencyMs.p50);
    const p50r = med('raw c=1', (r) => r.latencyMs.p50);
    row(
      `${best} predict p50 overhead over raw at c=1 (ms)`,
      `${p50s.toFixed(3)} vs ${p50r.toFixed(3)} ms`,
      p50s - p50r,
      0.3,
      false,
    );
    // Where the c=1 time goes: the server's own Server-Timing layers (p50) inside the end-to-end p50.
    const layer = (name: string) => med(`${best} c=1`, (r) => r.serverTiming[name]?.p50 ?? Number.NaN).toFixed(3);
    // The HTTP round trip alone at c=1 (client, loopback, framework) on that stack, to read the c=1 overhead against.
    const hello1 = (await sideBySide({ hello: () => load(ref[best]!, 1, helloWl).then((r) => r.latencyMs.p50) })).hello;
    report(
      `${best} predict c=1, p50 by server layer (Server-Timing) within the end-to-end p50`,
      `tokenize ${layer('tokenize')}, queue ${layer('queue')}, infer ${layer('infer')} of ${p50s.toFixed(3)} ms ` +
        `(hello_world c=1 p50: ${hello1.toFixed(3)} ms)`,
    );

    // 3. Batching gain at c=32 on the best stack.
    process.stderr.write(`perf: 3/4 batching gain on ${best}\n`);
    const delayUs = 2000;
    const batched = await launch(
      stacks.find((s) => s.server.id === best)!,
      { MAX_BATCH_SIZE: '32', MAX_QUEUE_DELAY_US: String(delayUs) },
    );
    // The profile showed onnxruntime-node's synchronous session.run as the top self time on the
    // event loop; the same stack with the session back on the main thread shows what moving it bought.
    const mainThread = await launch(
      stacks.find((s) => s.server.id === best)!,
      { MODEL_THREAD: 'main' },
    );
    const b = await sideBySide({
      off: () => load(ref[best]!, 32, predictWl).then(keep('off')),
      on: () => load(batched, 32, predictWl).then(keep('on')),
      main: () => load(mainThread, 32, predictWl).then(keep('main')),
    });
    row(
      `${best} predict c=32 batching on vs off`,
      `${b.on.toFixed(0)} vs ${b.off.toFixed(0)} req/s`,
      b.on / b.off,
      1.3,
    );
    report(
      `${best} predict c=32, ORT session on a worker thread vs on the event loop`,
      `${b.off.toFixed(0)} vs ${b.main.toFixed(0)} req/s`,
      b.off / b.main,
    );
    const queueP99 = med('on', (r) => r.serverTiming.queue?.p99 ?? Number.NaN);
    const inferP99 = med('on', (r) => r.serverTiming.infer?.p99 ?? Number.NaN);
    const bound = delayUs / 1000 + inferP99;
    row(
      `${best} batched queue-time p99 vs max_queue_delay + one batch (ms)`,
      `${queueP99.toFixed(2)} vs ${bound.toFixed(2)} ms (end-to-end p99 ${med('on', (r) => r.latencyMs.p99).toFixed(2)} ms)`,
      queueP99 / bound,
      1,
      false,
    );

    // 4. Tokenize against hello_world on the same stack, short sentences, same engine.
    process.stderr.write('perf: 4/4 tokenize vs hello_world\n');
    const tokWl = await buildWorkload('tokenize', texts, oracle, EMBED_TOLERANCE);
    const t = await sideBySide(
      Object.fromEntries(
        Object.entries(ref).flatMap(([f, l]) => [
          [`${f} hello`, () => load(l, 64, helloWl).then((r) => r.rps)],
          [`${f} tokenize`, () => load(l, 64, tokWl).then((r) => r.rps)],
        ]),
      ) as Record<string, () => Promise<number>>,
    );
    for (const f of Object.keys(ref))
      row(
        `${f} tokenize vs hello_world req/s`,
        `${t[`${f} tokenize`]!.toFixed(0)} vs ${t[`${f} hello`]!.toFixed(0)} req/s`,
        t[`${f} tokenize`]! / t[`${f} hello`]!,
        0.9,
      );
    const tokenizer = WordPieceTokenizer.fromVocabText(readFileSync(files.vocab, 'utf8'), {
      ...files.tokenizer, // the checkpoint's tokenizer settings (max length 256 for all-MiniLM-L6-v2)
    });
    const tps = tokenizerThroughput(tokenizer, texts);
    // Issue 17's cross-stack targets: Node vs fastapi+ort, grpc+ort vs fastify+ort, engine vs wrk/ghz.
    const others = stacksOf(discoverServers(o.root)).filter((s) =>
      ['fastapi+ort', 'grpc+ort', 'koa+ort'].includes(s.id),
    );
    const byId: Record<string, Launched> = Object.fromEntries(
      Object.entries(ref).map(([f, l]) => [`${f}+ort`, l] as const),
    );
    for (const s of others) byId[s.id] = await launch(s);
    await issueTargets({
      stacks: byId,
      texts,
      oracle,
      durationS: o.durationS,
      loadCpus: o.placement?.load,
      sideBySide: (t) => sideBySide(t),
      row,
      report,
      raw: (c) => rawCell(c).then((r) => r.rps),
      minimal: min,
    });
    await oracle.close();
    report(
      'tokenizer in-process (short sentences)',
      `${(tps.sentences / 1000).toFixed(0)}k sentences/s, ${(tps.tokens / 1e6).toFixed(2)}M tokens/s`,
    );
  } finally {
    await Promise.all(launched.map((l) => l.stop()));
  }

  // 5. The quick profile: wall time and stability, from the newest committed run.
  const latest = join(o.root, 'results', 'latest', 'results.json');
  if (existsSync(latest)) {
    const r = JSON.parse(readFileSync(latest, 'utf8')) as RunResults;
    if (r.settings.profile === 'quick' && r.wallS !== undefined) {
      const cells = r.stacks.flatMap((s) => s.cells);
      const unstable = cells.filter((c) => c.status !== 'ok').length;
      row(`quick profile wall time (run ${r.runId})`, `${(r.wallS / 60).toFixed(1)} min`, r.wallS / 60, 15, false);
      row('quick profile cells stable', `${cells.length - unstable} of ${cells.length}`, unstable, 0, false);
    }
  }

  const text = [
    '| target | measured | ratio | goal | result |',
    '|---|---|---:|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.target} | ${r.measured} | ${Number.isNaN(r.ratio) ? '' : r.ratio.toFixed(3)} | ${r.goal} | ${r.pass ? 'pass' : '**FAIL**'} |`,
    ),
  ].join('\n');
  return { rows, text };
}

function tokenizerThroughput(tokenizer: WordPieceTokenizer, texts: string[]): { sentences: number; tokens: number } {
  let n = 0;
  let tokens = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < 1000) {
    for (const t of texts) tokens += tokenizer.encode(t).length;
    n += texts.length;
  }
  const s = (performance.now() - t0) / 1000;
  return { sentences: n / s, tokens: tokens / s };
}
