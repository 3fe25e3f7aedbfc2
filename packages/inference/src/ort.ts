import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import ort from 'onnxruntime-node';
import { BackendError, type Backend, type EncodedBatch, type Embeddings } from './backend.js';
import { embedOn, openSession, type ModelSession, type ModelThread } from './model-thread.js';

export type Device = 'cpu' | 'cuda';

export interface OrtOptions {
  modelPath: string;
  device: Device;
  /** Threads inside one operator. Set explicitly so that stacks compare at equal thread counts. */
  intraOpThreads: number;
  interOpThreads: number;
  /**
   * Where session.run() executes. onnxruntime-node runs it synchronously on the calling thread, so
   * `main` blocks the event loop for each inference; `worker` (the default) runs it on a dedicated
   * thread and keeps the event loop free for HTTP work while the model computes, with the next call
   * already waiting on that thread (MODEL_THREAD_DEPTH).
   */
  thread?: ModelThread;
}

/** What the session factory needs; structured-cloneable so that it can be sent to the worker. */
export interface OrtSessionInit {
  modelPath: string;
  sessionOptions: ort.InferenceSession.SessionOptions;
}

/** One onnxruntime session, on whichever thread calls this (see model-thread.ts). */
export async function openOrtSession(init: OrtSessionInit): Promise<ModelSession> {
  const session = await ort.InferenceSession.create(init.modelPath, init.sessionOptions);
  return {
    info: {},
    async run(b) {
      const dims = [b.batch, b.seqLen];
      const out = await session.run({
        input_ids: new ort.Tensor('int64', b.inputIds, dims),
        attention_mask: new ort.Tensor('int64', b.attentionMask, dims),
        token_type_ids: new ort.Tensor('int64', b.tokenTypeIds, dims),
      });
      const t = out.embedding;
      if (!t || t.type !== 'float32' || t.dims.length !== 2) {
        throw new BackendError(
          'BAD_BACKEND_RESPONSE',
          'onnxruntime returned no [batch, hidden] float32 "embedding" output',
        );
      }
      return { data: t.data as Float32Array, dim: Number(t.dims[1]) };
    },
    close: () => session.release(),
  };
}

const ortVersion = (): string => {
  try {
    return (createRequire(import.meta.url)('onnxruntime-node/package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
};

/** onnxruntime-node, in process. CUDA is used only when asked for, and never falls back to CPU. */
export class OrtBackend implements Backend {
  readonly id = 'ort';
  private session: ModelSession | undefined;
  private readonly opts: Readonly<OrtOptions>;

  constructor(opts: OrtOptions) {
    this.opts = Object.freeze({ thread: 'worker', ...opts });
  }

  info(): Record<string, string> {
    return {
      runtime: `onnxruntime-node ${ortVersion()}`,
      device: this.opts.device,
      intra_op_threads: String(this.opts.intraOpThreads),
      inter_op_threads: String(this.opts.interOpThreads),
      session_thread: this.opts.thread ?? 'worker',
    };
  }

  async load(): Promise<void> {
    if (this.opts.device === 'cuda') assertCudaAvailable();
    const sessionOptions: ort.InferenceSession.SessionOptions = {
      executionProviders: [this.opts.device],
      intraOpNumThreads: this.opts.intraOpThreads,
      interOpNumThreads: this.opts.interOpThreads,
      graphOptimizationLevel: 'all',
      executionMode: 'sequential',
    };
    try {
      const init: OrtSessionInit = { modelPath: this.opts.modelPath, sessionOptions };
      this.session = await openSession(this.opts.thread ?? 'worker', {
        open: openOrtSession,
        module: import.meta.url,
        init,
        label: 'onnxruntime',
      });
    } catch (e) {
      throw new BackendError(
        'BACKEND_CONFIG',
        `onnxruntime could not load ${this.opts.modelPath} on ${this.opts.device}: ${(e as Error).message}`,
        { cause: e },
      );
    }
  }

  async ready(): Promise<boolean> {
    return this.session !== undefined;
  }

  /** 2 on a worker thread (the next call waits in the thread's inbox), 1 on the main thread. */
  get concurrency(): number {
    return this.session?.depth ?? 1;
  }

  embed(b: EncodedBatch, signal?: AbortSignal): Promise<Embeddings> {
    return embedOn(this.session, b, signal, 'onnxruntime', 'onnxruntime session is not loaded');
  }

  async close(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    await session?.close();
  }
}

/** Fails loudly when CUDA is requested on a machine without an NVIDIA GPU or without ORT's CUDA provider. */
function assertCudaAvailable(): void {
  if (!existsSync('/dev/nvidiactl') && !existsSync('/dev/nvidia0')) {
    throw new BackendError(
      'BACKEND_CONFIG',
      'DEVICE=cuda was requested but no NVIDIA GPU is present (/dev/nvidia0 missing); use DEVICE=cpu',
    );
  }
  const cuda = ort.listSupportedBackends?.().find((b) => b.name === 'cuda');
  if (!cuda || !cuda.bundled) {
    throw new BackendError(
      'BACKEND_CONFIG',
      'DEVICE=cuda was requested but onnxruntime-node has no CUDA provider installed (it was installed with ONNXRUNTIME_NODE_INSTALL_CUDA=skip); reinstall with --onnxruntime-node-install=cuda12 on a GPU machine',
    );
  }
}
