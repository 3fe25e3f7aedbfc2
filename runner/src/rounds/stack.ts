// A stack as a round participant: launched once and kept up between rounds (memory allowing), verified after
// every launch, measured over HTTP or gRPC, stopped at the end of the run.
import { readFileSync } from 'node:fs';
import { freemem } from 'node:os';
import { join } from 'node:path';
import { runConformance, type ReadyResponse, type Task } from '@servebench/contract';
import type { StackSpec } from '../discover.js';
import type { LaunchedStack, Launcher } from '../launch/compose.js';
import { modelServerBatching, modelServerInfo } from '../launch/modelserver.js';
import { LaunchError } from '../launch/process.js';
import { grpcReady, verifyGrpc } from '../load/grpc-run.js';
import type { GrpcWorkload } from '../load/grpc-workload.js';
import type { RunSettings } from '../profiles.js';
import type { StackResult } from '../results.js';
import type { Oracle, Workload } from '../workload.js';
import { askedPolicy, checkBatching, type BatchingPolicy } from './batching.js';
import { measureGrpcCell } from './measure-grpc.js';
import { measureHttpCell } from './measure-http.js';
import { EMBED_TOLERANCE } from './oracle.js';
import { cellOf, type CellKey, type Participant } from './participant.js';
import { placementOf } from '../placement/apply.js';

export interface StackContext {
  settings: RunSettings;
  runDir: string;
  /** The launcher every stack goes through (placement wraps it here: see run.ts). */
  launch: Launcher;
  oracle: Oracle;
  workloads: Map<Task, Workload>;
  grpcWorkloads: Map<Task, GrpcWorkload>;
  pool: StackPool;
  note(line: string): void;
}

/** MemAvailable from /proc/meminfo, in MB (free memory elsewhere). */
export function memAvailableMb(): number {
  try {
    const m = /^MemAvailable:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'));
    if (m) return Number(m[1]) / 1024;
  } catch {
    // not Linux
  }
  return freemem() / 2 ** 20;
}

/** What the pool needs of a running stack. */
export interface Stoppable {
  readonly id: string;
  stopServer(): Promise<void>;
}

/** The stacks kept up between rounds; makes room (stops idle ones, oldest first) when memory runs low. */
export class StackPool {
  private readonly up = new Set<Stoppable>();
  constructor(
    private readonly minFreeMb: number,
    /** Available memory in MB (MemAvailable; a stand-in in tests). */
    private readonly available: () => number = memAvailableMb,
  ) {}
  add(p: Stoppable): void {
    this.up.add(p);
  }
  remove(p: Stoppable): void {
    this.up.delete(p);
  }
  async makeRoom(forId: string, note: (l: string) => void): Promise<void> {
    for (const p of [...this.up]) {
      const free = this.available();
      if (free >= this.minFreeMb) return;
      note(
        `${forId}: ${free.toFixed(0)} MB available < ${this.minFreeMb} MB: stopping idle ${p.id} until its next turn`,
      );
      await p.stopServer();
    }
  }
}

/** The settings of a cell's first round: the longer first warm-up, when the profile has one. */
const withFirstWarmup = (s: RunSettings): RunSettings =>
  s.firstWarmupS && s.firstWarmupS > s.warmupS ? { ...s, warmupS: s.firstWarmupS } : s;

const DONE: ReadonlyArray<StackResult['status']> = ['skipped', 'failed-launch', 'failed-verification', 'crashed'];

export class StackParticipant implements Participant {
  private server: LaunchedStack | undefined;
  private launches = 0;
  /** The batching policy this stack is launched with (the run's, or its --stack-env). */
  private asked: BatchingPolicy | undefined;
  constructor(
    private readonly stack: StackSpec,
    readonly result: StackResult,
    readonly matrix: readonly CellKey[],
    private readonly ctx: StackContext,
  ) {}

  get id(): string {
    return this.stack.id;
  }
  get cells() {
    return this.result.cells;
  }
  get protocol(): string {
    return this.stack.server.protocol;
  }
  /** The server while it is up (the capacity stage measures it between begin() and stopServer()). */
  running(): LaunchedStack | undefined {
    return this.server;
  }
  active(): boolean {
    return !DONE.includes(this.result.status);
  }

  async begin(): Promise<boolean> {
    if (this.server && !this.crashed('between rounds')) return true;
    if (!this.active()) return false;
    const s = this.ctx.settings;
    await this.ctx.pool.makeRoom(this.id, this.ctx.note);
    this.ctx.note(`${this.id}: launching (${s.launcher})`);
    this.launches++;
    let server: LaunchedStack;
    const env = {
      MODEL: s.model,
      MODEL_SEED: String(s.seed),
      WORKERS: String(s.workers),
      INTRA_OP_THREADS: String(s.intraOpThreads),
      MAX_BATCH_SIZE: String(s.maxBatchSize),
      MAX_QUEUE_DELAY_US: String(s.maxQueueDelayUs),
      ...s.stackEnv[this.id],
    };
    this.asked = askedPolicy(env);
    try {
      server = await this.ctx.launch(this.stack, {
        env,
        readyTimeoutMs: s.readyTimeoutS * 1000,
        logFile: join(this.ctx.runDir, 'logs', `${this.id}${this.launches > 1 ? `.${this.launches}` : ''}.log`),
      });
    } catch (e) {
      const unavailable = e instanceof LaunchError && e.unavailable;
      this.result.status = unavailable ? 'skipped' : 'failed-launch';
      this.result.reason = (e as Error).message;
      this.ctx.note(
        `${this.id}: ${unavailable ? 'skipped (unavailable here)' : 'FAILED to launch'}: ${this.result.reason}`,
      );
      return false;
    }
    this.server = server;
    this.ctx.pool.add(this);
    this.result.placement = placementOf(server);
    this.result.coldStartMs ??= server.coldStartMs;
    this.result.modelLoadMs ??= server.modelLoadMs;
    this.result.launches = this.launches;
    if (!(await this.verify(server))) {
      await this.stopServer();
      return false;
    }
    if (this.result.status === 'pending') this.result.status = 'ok';
    this.ctx.note(
      `${this.id}: ready in ${server.coldStartMs} ms, verified (${this.result.verification!.length} checks)`,
    );
    return true;
  }

  private async verify(server: LaunchedStack): Promise<boolean> {
    const grpc = this.stack.server.protocol === 'grpc';
    const ready = grpc
      ? await grpcReady(server.baseUrl)
      : ((await fetch(new URL('/readyz', server.baseUrl))
          .then((x) => x.json())
          .catch(() => ({}))) as Partial<ReadyResponse>);
    // The label the run gives this stack must be the batching it runs: the reported policy (or, for a
    // proxy that cannot tell, its model server's) against the one it was launched with.
    const batching = checkBatching(this.asked!, ready.batching, modelServerBatching(server));
    this.result.backendInfo = { ...ready.backend_info, ...modelServerInfo(server), batching: batching.applied };
    const opts = { fast: true, embed: this.ctx.oracle.embed, tolerance: EMBED_TOLERANCE };
    this.result.verification = [
      {
        id: 'runs the batching policy the run asks',
        ok: !batching.reason,
        ...(batching.reason && { error: batching.reason }),
      },
      ...(grpc ? await verifyGrpc(server.baseUrl, opts) : await runConformance(server.baseUrl, opts)),
    ];
    const failed = this.result.verification.filter((v) => !v.ok);
    if (!failed.length) return true;
    this.result.status = 'failed-verification';
    this.result.reason = failed.map((f) => `${f.id}: ${f.error}`).join('; ');
    this.ctx.note(`${this.id}: FAILED verification, not measured: ${this.result.reason}`);
    return false;
  }

  /** True (and the stack marked crashed) when its server has exited. */
  private crashed(when: string): boolean {
    const exit = this.server?.exited();
    if (!exit) return false;
    this.result.status = 'crashed';
    this.result.reason = `exited with ${exit.code ?? exit.signal} ${when}:\n${this.server!.logTail().slice(-800)}`;
    this.ctx.note(`${this.id}: CRASHED: ${this.result.reason}`);
    void this.stopServer();
    return true;
  }

  async measure(k: CellKey, round: number) {
    const server = this.server;
    if (!server || this.crashed(`before ${k.task} c=${k.concurrency}`)) return undefined;
    const first = !cellOf(this, k)?.rounds.length;
    const s = first ? withFirstWarmup(this.ctx.settings) : this.ctx.settings;
    return this.stack.server.protocol === 'grpc'
      ? measureGrpcCell(s, server, { ...k, round, workload: this.ctx.grpcWorkloads.get(k.task)! })
      : measureHttpCell(s, server, { ...k, round, workload: this.ctx.workloads.get(k.task)! });
  }

  async end(): Promise<void> {
    if (!this.ctx.settings.keepStacksUp) await this.stopServer();
  }

  async close(): Promise<void> {
    await this.stopServer();
  }

  async stopServer(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    this.ctx.pool.remove(this);
    const exit = await server.stop();
    if (this.result.status === 'ok' && exit.code !== 0 && exit.signal !== 'SIGTERM') {
      this.ctx.note(`${this.id}: note: exited with ${exit.code ?? exit.signal} on SIGTERM`);
    }
  }
}
