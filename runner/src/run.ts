// A run: prepare the model, oracle and workloads, build the round participants (calibration references, the raw
// row, every stack), run the interleaved rounds, finish. The round loop is rounds/loop.ts; a stack's launch,
// verification and per-protocol measurement are rounds/stack.ts, rounds/measure-http.ts, rounds/measure-grpc.ts.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Task } from '@servebench/contract';
import { loadSentences } from './sentences-file.js';
import { ensureModel, parameterCount } from '@servebench/model';
import type { StackSpec } from './discover.js';
import { runCapacityStage } from './capacity/stage.js';
import { captureEnvironment } from './environment.js';
import { composeLauncher, type Launcher } from './launch/compose.js';
import { withModelServer } from './launch/modelserver.js';
import { launchProcess } from './launch/process.js';
import { buildGrpcWorkload, type GrpcWorkload } from './load/grpc-workload.js';
import { lightSharedWith, matrixOf, roundsFor, tasksOf, type RunSettings } from './profiles.js';
import { Progress } from './progress.js';
import { writeJsonAtomic, type CalibrationResult, type RunResults, type StackResult } from './results.js';
import { BareHelloParticipant, driftOf } from './rounds/calibration.js';
import { runRounds } from './rounds/loop.js';
import { EMBED_TOLERANCE, loadOracle } from './rounds/oracle.js';
import { roundsOf, type Participant } from './rounds/participant.js';
import { RawParticipant } from './rounds/raw.js';
import { StackParticipant, StackPool } from './rounds/stack.js';
import { buildWorkload, type Workload } from './workload.js';
import { withTargets } from './launch/target.js';
import { placeLaunches } from './placement/apply.js';
import { CEILING_RUNTIMES, ceilingRuntimeFor } from './raw/ceiling.js';
import { flagAboveCeiling } from './raw/flags.js';
import { CEILING_WHAT, CeilingParticipant, ceilingId } from './raw/participant.js';
import { runCrossChecks } from './crosscheck-stage.js';
import { machineIds, scrubLogs, scrubValue } from './hygiene.js';
import { K8S_DEFAULTS, openK8sRun } from './k8s/run.js';
import { SPEED_REFERENCE, Speedometer } from './speed/speedometer.js';
import { annotateNormalized } from './verdicts/normalize.js';
import { withTwin } from './rounds/twin.js';

export { EMBED_TOLERANCE, loadOracle } from './rounds/oracle.js';
export { CLIENT_BOUND_ELU } from './rounds/cell.js';

export interface RunOptions {
  settings: RunSettings;
  stacks: StackSpec[];
  root: string;
  runDir: string;
  runId: string;
  /** An interrupted run to continue: measured rounds are kept, the rest is measured. */
  resume?: RunResults;
  /**
   * Seam for CPU placement: wraps every launcher (the stacks' and the calibration server's), e.g. to pin the
   * server's whole process tree to the server CPU set. Identity when absent.
   */
  wrapLauncher?: (launch: Launcher) => Launcher;
}

/** The dist folder of the runner (where rounds/bare-hello-server.js is). */
const runnerDist = new URL('.', import.meta.url).pathname;

function freshResults(o: RunOptions, model: RunResults['model']): RunResults {
  return {
    schema: 2,
    runId: o.runId,
    status: 'running',
    startedAt: new Date().toISOString(),
    settings: o.settings,
    environment: captureEnvironment(o.root),
    model,
    stacks: [],
    calibration: [],
    drift: [],
    roundsRun: 0,
  };
}

/** Prepare, measure every participant in interleaved rounds, finish. Results are written after every round of a cell. */
export async function runBenchmark(o: RunOptions): Promise<RunResults> {
  const s = o.settings;
  const files = await ensureModel(s.model, { seed: s.seed });
  const oracle = await loadOracle(files, s.intraOpThreads);
  const texts = loadSentences(s.sentences);
  const resultsFile = join(o.runDir, 'results.json');
  mkdirSync(join(o.runDir, 'logs'), { recursive: true });
  const t0 = performance.now();
  const results: RunResults = o.resume
    ? { ...o.resume, status: 'running' }
    : freshResults(o, {
        name: files.config.name,
        seed: files.seed,
        sha256: files.sha256,
        hiddenSize: files.config.hiddenSize,
        layers: files.config.numLayers,
        maxLength: files.tokenizer.maxLength,
        ...(files.config.numLayers > 0 ? { parameters: parameterCount(files.config) } : {}),
        ...(files.source
          ? {
              source: {
                kind: files.source.kind,
                package: files.source.package,
                version: files.source.version,
                license: files.source.license,
              },
            }
          : {}),
      });
  // Nothing written names the machine: checkout path, home and hostname are scrubbed (hygiene.ts).
  const ids = machineIds(o.root);
  const save = () => {
    results.drift = driftOf(results.calibration);
    flagAboveCeiling(results.stacks, results.calibration);
    writeJsonAtomic(resultsFile, scrubValue(results, ids));
  };
  const progress = new Progress(0);
  const note = (line: string) => progress.note(line);

  // Seam (placement): every server the run starts goes through these two launchers.
  const wrap = o.wrapLauncher ?? placeLaunches(s.placement ?? null, s.launcher);
  // --target: named stacks connect to their running endpoint instead (never placed or stopped by us).
  // --launcher k8s: one cluster session for the run; closed (everything it created deleted) in the finally below.
  const k8s =
    s.launcher === 'k8s'
      ? openK8sRun(s.k8s ?? K8S_DEFAULTS, { root: o.root, model: s.model, seed: s.seed, log: note })
      : undefined;
  const launchStack = withTargets(
    s.targets,
    wrap(
      k8s
        ? k8s.launcher
        : s.launcher === 'compose'
          ? composeLauncher({ root: o.root, modelServer: { files, settings: s } })
          : withModelServer(launchProcess, { root: o.root, files, settings: s, note }),
    ),
  );
  const launchLocal = wrap(launchProcess);

  const workloads = new Map<Task, Workload>();
  for (const task of s.tasks)
    workloads.set(task, await buildWorkload(task, texts, oracle, EMBED_TOLERANCE, s.textsPerRequest ?? 1));
  const grpcWorkloads = new Map<Task, GrpcWorkload>();
  if ((s.textsPerRequest ?? 1) > 1 && o.stacks.some((x) => x.server.protocol === 'grpc')) {
    throw new Error('--texts-per-request above 1 covers the HTTP stacks only for now; pick them with --stacks');
  }
  if (o.stacks.some((x) => x.server.protocol === 'grpc')) {
    for (const task of s.tasks) grpcWorkloads.set(task, await buildGrpcWorkload(task, texts, oracle, EMBED_TOLERANCE));
  }

  /** The entry of the interrupted run when resuming, else a new one. */
  const stackEntry = (fresh: StackResult): StackResult => {
    const old = results.stacks.find((x) => x.id === fresh.id);
    if (old) return old;
    results.stacks.push(fresh);
    return fresh;
  };
  const calibrationEntry = (id: string, what: string): CalibrationResult => {
    const old = results.calibration.find((x) => x.id === id);
    if (old) return old;
    const fresh: CalibrationResult = { id, what, status: 'pending', cells: [] };
    results.calibration.push(fresh);
    return fresh;
  };

  // Calibration references, measured first in every round. Seam: per-runtime ceilings are added here.
  const calibration: Participant[] = [];
  if (s.calibration) {
    const hello = await buildWorkload('hello_world', texts, oracle, EMBED_TOLERANCE);
    calibration.push(
      new BareHelloParticipant(calibrationEntry('bare-http', 'bare node:http hello_world, no framework, no model'), {
        settings: s,
        launch: launchLocal,
        runnerDist,
        runDir: o.runDir,
        workload: hello,
      }),
    );
    for (const c of calibration) (results.calibration.find((x) => x.id === c.id) as CalibrationResult).status = 'ok';
    // The per-runtime ceilings the stacks' predict cells are checked against (raw/flags.ts).
    const runtimes = new Set(
      o.stacks.map((x) => ceilingRuntimeFor({ backend: x.backend, language: x.server.language })),
    );
    for (const runtime of CEILING_RUNTIMES.filter((r) => runtimes.has(r) && s.tasks.includes('predict'))) {
      const entry = calibrationEntry(ceilingId(runtime), CEILING_WHAT[runtime]);
      if (entry.status === 'pending') entry.status = 'ok';
      calibration.push(new CeilingParticipant(runtime, entry, { settings: s, files, texts, root: o.root, note }));
    }
  }

  const participants: Participant[] = [];
  const rawTasks = s.raw ? s.tasks.filter((t) => t !== 'hello_world') : [];
  if (rawTasks.length) {
    const raw = stackEntry({
      id: 'raw+ort',
      server: 'raw',
      backend: 'ort',
      protocol: 'in-process',
      launcher: 'none',
      status: 'ok',
      cells: [],
    });
    participants.push(new RawParticipant(raw.id, raw, matrixOf(s, rawTasks), { settings: s, files, texts }));
  }
  const pool = new StackPool(s.minFreeMemMb);
  const ctx = { settings: s, runDir: o.runDir, launch: launchStack, oracle, workloads, grpcWorkloads, pool, note };
  const sharedWith = s.lightOncePerServer
    ? lightSharedWith(o.stacks.map((x) => ({ id: x.id, server: x.server.id, backend: x.backend })))
    : new Map<string, string>();
  for (const stack of o.stacks) {
    const entry = stackEntry({
      id: stack.id,
      server: stack.server.id,
      backend: stack.backend,
      protocol: stack.server.protocol,
      language: stack.server.language,
      launcher: s.launcher,
      status: 'pending',
      cells: [],
    });
    participants.push(new StackParticipant(stack, entry, matrixOf(s, tasksOf(s, sharedWith, stack.id)), ctx));
  }
  const ordered = withTwin(participants, o.stacks, s, { stackEntry, ctx, note });

  // Progress counts the base rounds still to measure; extra rounds are added when they start.
  const remaining = (p: Participant) =>
    p.matrix.reduce((n, k) => n + Math.max(0, roundsFor(s, k) - roundsOf(p, k).length), 0);
  progress.grow([...calibration, ...ordered].reduce((n, p) => n + remaining(p), 0));
  // The machine's speed beside every cell and probe (speed/speedometer.ts), with the calibration references.
  const speed = s.calibration ? await Speedometer.forRun(files, texts, s, note) : undefined;
  if (speed) results.speed = { reference: SPEED_REFERENCE };
  const around = speed ? <T>(measure: () => Promise<T>) => speed.around(measure) : undefined;
  save();
  try {
    await runRounds({
      settings: s,
      calibration,
      participants: ordered,
      progress,
      save,
      onRound: (round) => (results.roundsRun = Math.max(results.roundsRun, round + 1)),
      ...(around ? { around } : {}),
    });
    // After the matrix: each stack's capacity at the SLO (a stack still up is searched as it is, then stopped).
    if (s.capacity) {
      const todo = ordered.filter(
        (p): p is StackParticipant => p instanceof StackParticipant && p.active() && !p.result.capacity,
      );
      await runCapacityStage(
        todo.map((p) => ({
          id: p.id,
          protocol: p.protocol,
          cells: p.cells,
          begin: () => p.begin(),
          running: () => p.running(),
          end: () => p.stopServer(),
        })),
        {
          capacity: s.capacity,
          model: s.model,
          timeoutMs: s.timeoutMs,
          threads: s.threads,
          workers: s.workers,
          workloads,
          grpcWorkloads,
          record: (id, r) => {
            results.stacks.find((x) => x.id === id)!.capacity = r;
            save();
          },
          note,
          ...(around ? { around } : {}),
        },
      );
    }
    // The engine against wrk / ghz on hello_world, same placement, on stacks still up or relaunched.
    if (s.crosscheck !== 'none' && s.tasks.includes('hello_world') && !results.crosscheck?.length) {
      results.crosscheck = await runCrossChecks(ordered, s, note);
      save();
    }
  } finally {
    speed?.close();
    for (const p of [...calibration, ...ordered]) await p.close().catch(() => undefined);
    await k8s?.close().catch((e: Error) => note(e.message));
    await oracle.close();
  }
  scrubLogs(o.runDir, ids);
  annotateNormalized(results);
  results.status = 'complete';
  results.finishedAt = new Date().toISOString();
  results.wallS = Math.round((performance.now() - t0) / 100) / 10 + (o.resume?.wallS ?? 0);
  save();
  return scrubValue(results, ids);
}
