// The capacity stage of a run: after the concurrency matrix, every stack and task is searched in rounds,
// interleaved across stacks one probe at a time (interleave.ts). Stacks are brought up (launched and verified
// if they are not still up) before their turn, and stopped when the stage is done.
import type { Task } from '@servebench/contract';
import { runLoad } from '../load/engine.js';
import { runGrpcLoad } from '../load/grpc-engine.js';
import type { GrpcWorkload } from '../load/grpc-workload.js';
import type { LoadResult } from '../load/types.js';
import { startSampler, type Sampler } from '../resources/sampler.js';
import type { Workload } from '../workload.js';
import { runInterleaved } from './interleave.js';
import { CapacitySearch, type CapacityPhase, type ProbeSpec } from './phase.js';
import type { CapacityResult, CapacitySettings } from './types.js';

/** A running server as the stage needs it (LaunchedStack fits). */
export interface RunningServer {
  host: string;
  port: number;
  pid: number;
  sampleResources?: () => Sampler;
  exited(): unknown;
}

/** A stack the stage can search (the round loop's stack participant fits, with `running()` added). */
export interface CapacityTarget {
  readonly id: string;
  /** Launch and verify when not up; false when it cannot be measured (it records why). */
  begin(): Promise<boolean>;
  running(): RunningServer | undefined;
  /** Stop it (unless it is kept up). */
  end(): Promise<void>;
  readonly protocol: string;
  /** Its measured matrix cells (for the first probe's rate). */
  readonly cells: ReadonlyArray<{ task: Task; status: string; load: { rps: number } }>;
}

export interface CapacityStageOptions {
  capacity: CapacitySettings;
  model: string;
  timeoutMs: number;
  /** Load-generator threads, and server workers (gRPC opens at least one channel per worker). */
  threads: number;
  workers: number;
  workloads: ReadonlyMap<Task, Workload>;
  grpcWorkloads: ReadonlyMap<Task, GrpcWorkload>;
  /** Called with each stack's results after every round (write them to results.json). */
  record(id: string, results: CapacityResult[]): void;
  note(line: string): void;
  /** Reads the machine's speed around each probe (speed/speedometer.ts). */
  around?: CapacityPhase['around'];
}

/** The phase callbacks of one target: every probe goes to the server it has at that moment. */
function phaseOf(t: CapacityTarget, tasks: Task[], o: CapacityStageOptions): CapacityPhase {
  const grpc = t.protocol === 'grpc';
  const server = (): RunningServer => {
    const s = t.running();
    if (!s) throw new Error(`${t.id} is not running`);
    return s;
  };
  return {
    model: o.model,
    settings: { ...o.capacity, tasks },
    timeoutMs: o.timeoutMs,
    load: (task: Task, spec: ProbeSpec): Promise<LoadResult> => {
      const common = { ...spec, host: server().host, port: server().port, threads: o.threads };
      return grpc
        ? runGrpcLoad({ ...common, ...o.grpcWorkloads.get(task)!, channels: Math.max(o.threads, o.workers) })
        : runLoad({ ...common, ...o.workloads.get(task)! });
    },
    sample: () => server().sampleResources?.() ?? startSampler(server().pid, 250),
    measuredRps: (task) => t.cells.filter((c) => c.task === task && c.status !== 'failed').map((c) => c.load.rps),
    exited: () => {
      const s = t.running();
      return !s || Boolean(s.exited());
    },
    note: (line) => o.note(line.startsWith('  ') ? `${t.id}:${line.slice(1)}` : `${t.id}: ${line}`),
    ...(o.around ? { around: o.around } : {}),
  };
}

export async function runCapacityStage(targets: CapacityTarget[], o: CapacityStageOptions): Promise<void> {
  const tasks = o.capacity.tasks.filter((t) => o.workloads.has(t));
  const missing = o.capacity.tasks.filter((t) => !o.workloads.has(t));
  if (missing.length) o.note(`capacity: ${missing.join(', ')} not among the run's tasks; not searched`);
  if (!tasks.length) return;
  const searches = targets.flatMap((t) => {
    const phase = phaseOf(t, tasks, o);
    return tasks.map((task) => ({ target: t, search: new CapacitySearch(phase, task) }));
  });
  const owner = new Map(searches.map((x) => [x.search, x.target]));
  const record = () => {
    for (const t of targets) {
      const mine = searches.filter((x) => x.target === t && x.search.probes.length + x.search.rounds.length > 0);
      if (mine.length)
        o.record(
          t.id,
          mine.map((x) => x.search.result()),
        );
    }
  };
  o.note(
    `capacity: ${o.capacity.rounds} round(s) over ${targets.length} stack(s) (${tasks.join(', ')}), interleaved one probe at a time`,
  );
  try {
    await runInterleaved(
      searches.map((x) => x.search),
      o.capacity.rounds,
      {
        ready: async (s) => {
          const t = owner.get(s)!;
          return (await t.begin()) && t.running() ? undefined : `${t.id} could not be brought up`;
        },
        afterRound: (round) => {
          record();
          for (const { target, search } of searches) {
            const r = search.rounds.find((x) => x.round === round);
            if (r)
              o.note(
                `${target.id}: ${search.task} round ${round + 1} crossing ${r.rps === null ? 'none' : r.rps.toFixed(1)} req/s (bracket ${r.lo ?? '-'}..${r.hi ?? '-'}, ${r.probes} probes, ${r.stop})`,
              );
          }
        },
      },
    );
  } finally {
    record();
    for (const t of targets) await t.end();
  }
}
