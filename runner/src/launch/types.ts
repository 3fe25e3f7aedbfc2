// What every launcher (process, compose, model-server wrapper) takes and gives back.
import type { StackSpec } from '../discover.js';
import type { Sampler } from '../resources/sampler.js';

export interface LaunchOptions {
  env: Record<string, string>;
  readyTimeoutMs: number;
  /** Server stdout/stderr go here, for the post-mortem of a failed stack. */
  logFile: string;
  /** HTTP path probed for readiness (default /readyz). */
  readyPath?: string;
  /** CPU placement: the server (and every process it starts) runs under `taskset -c` on these CPUs (compose: its containers' cpuset). */
  cpus?: readonly number[];
}

export interface Launched {
  pid: number;
  host: string;
  port: number;
  baseUrl: string;
  /** Spawn to first 200 from /readyz (gRPC: first SERVING from grpc.health.v1). */
  coldStartMs: number;
  /** As reported by the server: model generation/loading time. */
  modelLoadMs: number | undefined;
  /** Set once the process has exited (a crash while measuring). */
  exited(): { code: number | null; signal: string | null } | undefined;
  stop(): Promise<{ code: number | null; signal: string | null }>;
  logTail(): string;
}

/** What run.ts needs from any launcher. */
export interface LaunchedStack extends Launched {
  /** Resources of the stack over one cell. Absent: the server pid's process tree from /proc. */
  sampleResources?(): Sampler;
  /** Root pids of every process tree of the stack (server and model server). Absent: just `pid`. */
  pids?(): number[];
}

export type Launcher = (stack: StackSpec, opts: LaunchOptions) => Promise<LaunchedStack>;

export class LaunchError extends Error {
  constructor(
    readonly phase: 'spawn' | 'ready',
    message: string,
    /** The stack cannot run here at all (missing runtime, GPU, model server): skipped, not failed. */
    readonly unavailable = false,
  ) {
    super(message);
  }
}

/** The model's name in the model servers' repositories (Triton, TF Serving). */
export const MODEL = 'bert';
