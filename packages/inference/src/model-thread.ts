// Where an in-process model computes. onnxruntime-node's session.run() and TensorFlow.js's ops are
// synchronous on the calling thread, so on the main thread they stall the event loop for the whole
// inference (no HTTP reads, no shedding, no /healthz). On a worker thread (the default) the main
// thread keeps parsing, tokenizing and answering while the model runs. Each backend provides one
// `open` function that builds a ModelSession; this module runs it inline or hosts it in
// model-worker.ts behind a small request/reply protocol, with up to two calls in flight (see
// worker-session.ts) and the output transferred back, not copied.
import { parentPort, type Worker } from 'node:worker_threads';
import { BackendError, type BackendErrorCode, type Embeddings, type EncodedBatch } from './backend.js';
import { spawnWorker } from './worker-spawn.js';
import { SKIPPED_MESSAGE, WorkerSession, isCancelled, newCancelFlags, threadStopped } from './worker-session.js';

export type ModelThread = 'main' | 'worker';

/** What a model session consumes: the padded token ids of one batch. */
export type ModelInput = Pick<EncodedBatch, 'batch' | 'seqLen' | 'inputIds' | 'attentionMask' | 'tokenTypeIds'>;
/** Row-major [batch, dim] pooled embeddings. */
export interface ModelOutput {
  data: Float32Array;
  dim: number;
  /** ms of the call spent waiting for the thread to finish an earlier call (see WorkerSession); 0 or absent otherwise. */
  waitedMs?: number;
}

export interface ModelSession {
  /** Facts known only once the model is loaded (e.g. which runtime ran), for Backend.info(). */
  readonly info: Readonly<Record<string, string>>;
  /** Calls worth having in flight at once: MODEL_THREAD_DEPTH on a worker thread; absent means 1 (the calling thread). */
  readonly depth?: number;
  /** `signal` cancels a call that has not started yet (on a worker thread); a started call runs to the end. */
  run(b: ModelInput, signal?: AbortSignal): Promise<ModelOutput>;
  close(): Promise<void>;
}

/**
 * A backend's session factory: `open` must be exported under its own name from `module`, the
 * backend module's `import.meta.url` (a `.ts` URL when running from sources), so that the worker
 * can import it. `init` must be structured-cloneable.
 */
export interface SessionFactory<I> {
  open: (init: I) => Promise<ModelSession>;
  module: string;
  init: I;
  /** Names the runtime in error messages, e.g. `onnxruntime`. */
  label: string;
}

/** Messages between openSession's worker side and model-worker.ts. */
export interface ModelWorkerData {
  module: string;
  exportName: string;
  init: unknown;
  /** Cancellation flags shared with the main thread (worker-session.ts). */
  cancelled?: SharedArrayBuffer;
}
export type ModelWorkerRequest = ModelInput & { id: number };
export type ModelWorkerReply =
  | { id: number; ok: true; data?: Float32Array; dim?: number; info?: Record<string, string> }
  | { id: number; ok: false; error: string; code?: BackendErrorCode };

/**
 * embed() of an in-process backend (ort, tfjs*): runs the batch on its session and checks that one
 * `dim`-wide row came back per sequence. `runtime` names it in errors; `notLoaded` is the error before load().
 */
export async function embedOn(
  session: ModelSession | undefined,
  b: EncodedBatch,
  signal: AbortSignal | undefined,
  runtime: string,
  notLoaded: string,
): Promise<Embeddings> {
  if (!session) throw new BackendError('BACKEND_UNAVAILABLE', notLoaded);
  const { data, dim, waitedMs } = await session.run(b, signal);
  if (data.length !== b.batch * dim)
    throw new BackendError(
      'BAD_BACKEND_RESPONSE',
      `${runtime} returned ${data.length} values for a batch of ${b.batch}`,
    );
  return { data, batch: b.batch, dim, waitedMs };
}

/** Opens the session on this thread, or on a dedicated worker thread that model-worker.ts runs. */
export function openSession<I>(thread: ModelThread, f: SessionFactory<I>): Promise<ModelSession> {
  return thread === 'main' ? f.open(f.init) : openOnWorker(f);
}

async function openOnWorker<I>(f: SessionFactory<I>): Promise<ModelSession> {
  const cancelFlags = newCancelFlags();
  const data: ModelWorkerData = {
    module: f.module,
    exportName: f.open.name,
    init: f.init,
    cancelled: cancelFlags.buffer as SharedArrayBuffer,
  };
  const worker: Worker = spawnWorker(new URL('./model-worker.js', import.meta.url), { workerData: data });
  let info: Record<string, string>;
  const off: Array<() => void> = [];
  try {
    info = await new Promise<Record<string, string>>((resolve, reject) => {
      const onMessage = (m: ModelWorkerReply) =>
        m.ok ? resolve(m.info ?? {}) : reject(m.code ? new BackendError(m.code, m.error) : new Error(m.error));
      const onExit = (code: number) => reject(threadStopped(f.label, `exit code ${code} while loading`));
      worker.once('message', onMessage).once('error', reject).once('exit', onExit);
      off.push(() => worker.off('message', onMessage).off('error', reject).off('exit', onExit));
    });
  } catch (e) {
    await worker.terminate();
    throw e;
  } finally {
    for (const f of off) f();
  }
  return new WorkerSession(worker, { info, label: f.label, cancelFlags });
}

/** The worker side: opens the session named by workerData and answers requests until terminated. */
export async function serveSession(data: ModelWorkerData): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('serveSession runs on a worker thread');
  const code = (e: unknown): BackendErrorCode | undefined => (e instanceof BackendError ? e.code : undefined);
  let session: ModelSession;
  try {
    const open = ((await import(data.module)) as Record<string, unknown>)[data.exportName] as
      SessionFactory<unknown>['open'] | undefined;
    if (typeof open !== 'function') throw new Error(`${data.module} does not export ${data.exportName}`);
    session = await open(data.init);
  } catch (e) {
    port.postMessage({ id: 0, ok: false, error: (e as Error).message, code: code(e) } satisfies ModelWorkerReply);
    return;
  }
  port.postMessage({ id: 0, ok: true, info: { ...session.info } } satisfies ModelWorkerReply);
  const flags = data.cancelled ? new Int32Array(data.cancelled) : undefined;
  const answer = async (m: ModelWorkerRequest): Promise<void> => {
    if (flags && isCancelled(flags, m.id)) {
      port.postMessage({
        id: m.id,
        ok: false,
        error: SKIPPED_MESSAGE,
        code: 'BACKEND_TIMEOUT',
      } satisfies ModelWorkerReply);
      return;
    }
    try {
      const { data: out, dim } = await session.run(m);
      // Transfer the output instead of copying it, unless it is a view into memory the runtime owns.
      const owned =
        out.buffer instanceof ArrayBuffer && out.byteOffset === 0 && out.byteLength === out.buffer.byteLength
          ? out
          : out.slice();
      port.postMessage({ id: m.id, ok: true, data: owned, dim } satisfies ModelWorkerReply, [
        owned.buffer as ArrayBuffer,
      ]);
    } catch (e) {
      port.postMessage({ id: m.id, ok: false, error: (e as Error).message, code: code(e) } satisfies ModelWorkerReply);
    }
  };
  // One call at a time, in the order posted, whatever the runtime's run() does while it awaits: the
  // main thread keeps the next call waiting here (WorkerSession), and its Server-Timing relies on the order.
  let turn: Promise<void> = Promise.resolve();
  port.on('message', (m: ModelWorkerRequest) => {
    turn = turn.then(() => answer(m)).catch(() => undefined);
  });
}
