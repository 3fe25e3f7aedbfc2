// The capacity stage of a run: after the concurrency matrix, each stack in turn is brought up
// (launched and verified if it is not still up), searched for every capacity task, and stopped.
import type { Task } from '@servebench/contract';
import { runLoad } from '../load/engine.js';
import { runGrpcLoad } from '../load/grpc-engine.js';
import type { GrpcWorkload } from '../load/grpc-workload.js';
import type { LoadResult } from '../load/types.js';
import { startSampler, type Sampler } from '../resources/sampler.js';
import type { Workload } from '../workload.js';
import { runCapacityPhase, type ProbeSpec } from './phase.js';
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
  /** Called with each stack's results as soon as they are known (write them to results.json). */
  record(id: string, results: CapacityResult[]): void;
  note(line: string): void;
}

export async function runCapacityStage(targets: CapacityTarget[], o: CapacityStageOptions): Promise<void> {
  const tasks = o.capacity.tasks.filter((t) => o.workloads.has(t));
  const missing = o.capacity.tasks.filter((t) => !o.workloads.has(t));
  if (missing.length) o.note(`capacity: ${missing.join(', ')} not among the run's tasks; not searched`);
  if (!tasks.length) return;
  for (const t of targets) {
    if (!(await t.begin())) continue;
    const server = t.running();
    if (!server) continue;
    const grpc = t.protocol === 'grpc';
    o.note(`${t.id}: capacity search (${tasks.join(', ')})`);
    try {
      const results = await runCapacityPhase({
        model: o.model,
        settings: { ...o.capacity, tasks },
        timeoutMs: o.timeoutMs,
        load: (task: Task, spec: ProbeSpec): Promise<LoadResult> => {
          const common = { ...spec, host: server.host, port: server.port, threads: o.threads };
          return grpc
            ? runGrpcLoad({ ...common, ...o.grpcWorkloads.get(task)!, channels: Math.max(o.threads, o.workers) })
            : runLoad({ ...common, ...o.workloads.get(task)! });
        },
        sample: () => server.sampleResources?.() ?? startSampler(server.pid, 250),
        measuredRps: (task) => t.cells.filter((c) => c.task === task && c.status !== 'failed').map((c) => c.load.rps),
        exited: () => Boolean(server.exited()),
        note: o.note,
      });
      o.record(t.id, results);
      for (const r of results)
        o.note(
          `${t.id}: ${r.task} capacity ${r.capacityRps ?? 'none'} req/s at p99 <= ${r.sloP99Ms} ms (bracket ${r.bracket.lo ?? '-'}..${r.bracket.hi ?? '-'}, ${r.probes.length} probes, ${r.stop}, ${r.wallS} s)`,
        );
    } finally {
      await t.end();
    }
  }
}
