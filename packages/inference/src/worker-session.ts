// The main-thread side of a model thread (model-thread.ts): posts calls to the worker, matches its
// replies, and keeps up to MODEL_THREAD_DEPTH calls in flight so that the worker starts the next
// call as soon as the previous one ends, instead of idling while the main thread takes the reply
// and posts the next request. The worker answers calls one at a time, in the order posted.
import { BackendError } from './backend.js';
import type { ModelInput, ModelOutput, ModelSession, ModelWorkerReply, ModelWorkerRequest } from './model-thread.js';

/**
 * Calls worth having in flight on one model thread: the one computing and the next one, waiting in
 * the thread's inbox. More would only wait longer there, out of reach of the queue's bounds.
 */
export const MODEL_THREAD_DEPTH = 2;

/** What WorkerSession needs of a node:worker_threads Worker (tests pass a stand-in). */
export interface WorkerLike {
  postMessage(value: ModelWorkerRequest): void;
  on(event: 'message', listener: (m: ModelWorkerReply) => void): unknown;
  on(event: 'error', listener: (e: Error) => void): unknown;
  on(event: 'exit', listener: (code: number) => void): unknown;
  removeAllListeners(event: 'exit'): unknown;
  terminate(): Promise<unknown>;
}

/**
 * Cancellation flags shared with the worker: slot `id % length` holds the id of a cancelled call.
 * The worker checks its call's slot just before starting it, so a call whose client went away while
 * it waited behind another is skipped. Ids are compared whole, so a reused slot never cancels a
 * later call; a flag can at worst be overwritten (that call then runs, as one already started does).
 */
export const CANCEL_SLOTS = 64;
export const newCancelFlags = (): Int32Array => new Int32Array(new SharedArrayBuffer(4 * CANCEL_SLOTS));
export const markCancelled = (flags: Int32Array, id: number): void => void Atomics.store(flags, id % flags.length, id);
export const isCancelled = (flags: Int32Array, id: number): boolean => Atomics.load(flags, id % flags.length) === id;

/** The error of every call on a model thread that has stopped (crashed, exited or closed). */
export const threadStopped = (label: string, why: string): BackendError =>
  new BackendError('BACKEND_UNAVAILABLE', `the ${label} thread stopped: ${why}`);

/** The error the worker answers a skipped call with. */
export const SKIPPED_MESSAGE = 'request was cancelled while it waited for the model thread';

interface Call {
  resolve(r: ModelOutput): void;
  reject(e: Error): void;
  postedAt: number;
  /** When the worker turned to this call: when posted to an idle worker, else when the previous reply arrived. */
  startedAt: number | undefined;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

export interface WorkerSessionOptions {
  info: Record<string, string>;
  /** Names the runtime in error messages, e.g. `onnxruntime`. */
  label: string;
  /** Shared with the worker (ModelWorkerData.cancelled). */
  cancelFlags: Int32Array;
  /** Milliseconds, monotonic; injectable for tests. */
  now?: () => number;
}

export class WorkerSession implements ModelSession {
  readonly info: Readonly<Record<string, string>>;
  readonly depth = MODEL_THREAD_DEPTH;
  /** Calls posted and not answered, in the order posted (the worker answers in that order). */
  private readonly pending = new Map<number, Call>();
  private nextId = 1;
  private dead: Error | undefined;
  private readonly label: string;
  private readonly flags: Int32Array;
  private readonly now: () => number;

  constructor(
    private readonly worker: WorkerLike,
    o: WorkerSessionOptions,
  ) {
    this.info = o.info;
    this.label = o.label;
    this.flags = o.cancelFlags;
    this.now = o.now ?? (() => performance.now());
    worker.on('message', (m) => this.answer(m));
    worker.on('error', (e) => this.fail(e));
    worker.on('exit', (code) => this.fail(new Error(`exit code ${code}`)));
  }

  private stopped(why: string): BackendError {
    return threadStopped(this.label, why);
  }

  run(b: ModelInput, signal?: AbortSignal): Promise<ModelOutput> {
    if (this.dead) return Promise.reject(this.stopped(this.dead.message));
    if (signal?.aborted) return Promise.reject(new BackendError('BACKEND_TIMEOUT', SKIPPED_MESSAGE));
    return new Promise<ModelOutput>((resolve, reject) => {
      const id = this.nextId;
      this.nextId = id >= 0x7fffffff ? 1 : id + 1; // ids fit the Int32 cancellation slots
      const now = this.now();
      const call: Call = {
        resolve,
        reject,
        postedAt: now,
        startedAt: this.pending.size === 0 ? now : undefined,
        signal,
        onAbort: signal ? () => markCancelled(this.flags, id) : undefined,
      };
      if (call.onAbort) signal!.addEventListener('abort', call.onAbort, { once: true });
      this.pending.set(id, call);
      const req: ModelWorkerRequest = {
        id,
        batch: b.batch,
        seqLen: b.seqLen,
        inputIds: b.inputIds,
        attentionMask: b.attentionMask,
        tokenTypeIds: b.tokenTypeIds,
      };
      this.worker.postMessage(req);
    });
  }

  private answer(m: ModelWorkerReply): void {
    const c = this.pending.get(m.id);
    if (!c) return;
    this.pending.delete(m.id);
    if (c.onAbort) c.signal?.removeEventListener('abort', c.onAbort);
    // The worker turns to the next call as soon as it has answered this one.
    const next = this.pending.values().next().value;
    if (next && next.startedAt === undefined) next.startedAt = this.now();
    const waitedMs = (c.startedAt ?? c.postedAt) - c.postedAt;
    if (m.ok && m.data && m.dim) c.resolve({ data: m.data, dim: m.dim, waitedMs });
    else if (!m.ok && m.code === 'BACKEND_TIMEOUT') c.reject(new BackendError(m.code, m.error));
    else
      c.reject(
        new BackendError(
          m.ok ? 'BAD_BACKEND_RESPONSE' : (m.code ?? 'BAD_BACKEND_RESPONSE'),
          `${this.label} failed: ${m.ok ? 'no output' : m.error}`,
        ),
      );
  }

  private fail(e: Error): void {
    this.dead = e;
    for (const c of this.pending.values()) {
      if (c.onAbort) c.signal?.removeEventListener('abort', c.onAbort);
      c.reject(this.stopped(e.message));
    }
    this.pending.clear();
  }

  async close(): Promise<void> {
    this.worker.removeAllListeners('exit');
    this.fail(new Error('closed'));
    await this.worker.terminate();
  }
}
