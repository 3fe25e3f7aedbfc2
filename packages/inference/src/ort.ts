import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Worker } from 'node:worker_threads';
import ort from 'onnxruntime-node';
import { BackendError, type Backend, type EncodedBatch, type Embeddings } from './backend.js';
import { spawnWorker } from './worker-spawn.js';

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
   * thread and keeps the event loop free for HTTP work while the model computes.
   */
  thread?: 'main' | 'worker';
}

/** Messages between OrtBackend and ort-worker.ts. */
export interface OrtWorkerInit {
  modelPath: string;
  sessionOptions: ort.InferenceSession.SessionOptions;
}
export interface OrtWorkerRequest {
  id: number;
  batch: number;
  seqLen: number;
  inputIds: BigInt64Array;
  attentionMask: BigInt64Array;
  tokenTypeIds: BigInt64Array;
}
export type OrtWorkerReply = { id: number; ok: true; data?: Float32Array; dim?: number } | { id: number; ok: false; error: string };

const ortVersion = (): string => {
  try {
    return (createRequire(import.meta.url)('onnxruntime-node/package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
};

type Run = (b: EncodedBatch) => Promise<{ data: Float32Array; dim: number }>;

/** onnxruntime-node, in process. CUDA is used only when asked for, and never falls back to CPU. */
export class OrtBackend implements Backend {
  readonly id = 'ort';
  private run: Run | undefined;
  private release: (() => Promise<void>) | undefined;
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
      if (this.opts.thread === 'main') await this.loadInline(sessionOptions);
      else await this.loadWorker(sessionOptions);
    } catch (e) {
      throw new BackendError('BACKEND_CONFIG', `onnxruntime could not load ${this.opts.modelPath} on ${this.opts.device}: ${(e as Error).message}`, { cause: e });
    }
  }

  private async loadInline(sessionOptions: ort.InferenceSession.SessionOptions): Promise<void> {
    const session = await ort.InferenceSession.create(this.opts.modelPath, sessionOptions);
    this.release = () => session.release();
    this.run = async (b) => {
      const dims = [b.batch, b.seqLen];
      const out = await session.run({
        input_ids: new ort.Tensor('int64', b.inputIds, dims),
        attention_mask: new ort.Tensor('int64', b.attentionMask, dims),
        token_type_ids: new ort.Tensor('int64', b.tokenTypeIds, dims),
      });
      const t = out.embedding;
      if (!t || t.type !== 'float32' || t.dims.length !== 2) {
        throw new BackendError('BAD_BACKEND_RESPONSE', 'onnxruntime returned no [batch, hidden] float32 "embedding" output');
      }
      return { data: t.data as Float32Array, dim: Number(t.dims[1]) };
    };
  }

  private async loadWorker(sessionOptions: ort.InferenceSession.SessionOptions): Promise<void> {
    const init: OrtWorkerInit = { modelPath: this.opts.modelPath, sessionOptions };
    const worker: Worker = spawnWorker(new URL('./ort-worker.js', import.meta.url), { workerData: init });
    const pending = new Map<number, { resolve: (r: { data: Float32Array; dim: number }) => void; reject: (e: Error) => void }>();
    let nextId = 1;
    let dead: Error | undefined;
    await new Promise<void>((resolve, reject) => {
      worker.once('message', (m: OrtWorkerReply) => (m.ok ? resolve() : reject(new Error(m.error))));
      worker.once('error', reject);
    });
    worker.on('message', (m: OrtWorkerReply) => {
      const p = pending.get(m.id);
      if (!p) return;
      pending.delete(m.id);
      if (m.ok && m.data && m.dim) p.resolve({ data: m.data, dim: m.dim });
      else p.reject(new BackendError('BAD_BACKEND_RESPONSE', `onnxruntime failed: ${m.ok ? 'no output' : m.error}`));
    });
    const fail = (e: Error) => {
      dead = e;
      for (const p of pending.values()) p.reject(new BackendError('BACKEND_UNAVAILABLE', `the onnxruntime thread stopped: ${e.message}`));
      pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`exit code ${code}`)));
    this.release = async () => {
      worker.removeAllListeners('exit');
      await worker.terminate();
    };
    this.run = (b) => {
      if (dead) return Promise.reject(new BackendError('BACKEND_UNAVAILABLE', `the onnxruntime thread stopped: ${dead.message}`));
      return new Promise((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { resolve, reject });
        const req: OrtWorkerRequest = { id, batch: b.batch, seqLen: b.seqLen, inputIds: b.inputIds, attentionMask: b.attentionMask, tokenTypeIds: b.tokenTypeIds };
        worker.postMessage(req);
      });
    };
  }

  async ready(): Promise<boolean> {
    return this.run !== undefined;
  }

  async embed(b: EncodedBatch): Promise<Embeddings> {
    if (!this.run) throw new BackendError('BACKEND_UNAVAILABLE', 'onnxruntime session is not loaded');
    const { data, dim } = await this.run(b);
    if (data.length !== b.batch * dim) throw new BackendError('BAD_BACKEND_RESPONSE', `onnxruntime returned ${data.length} values for a batch of ${b.batch}`);
    return { data, batch: b.batch, dim };
  }

  async close(): Promise<void> {
    const release = this.release;
    this.run = undefined;
    this.release = undefined;
    await release?.();
  }
}

/** Fails loudly when CUDA is requested on a machine without an NVIDIA GPU or without ORT's CUDA provider. */
function assertCudaAvailable(): void {
  if (!existsSync('/dev/nvidiactl') && !existsSync('/dev/nvidia0')) {
    throw new BackendError('BACKEND_CONFIG', 'DEVICE=cuda was requested but no NVIDIA GPU is present (/dev/nvidia0 missing); use DEVICE=cpu');
  }
  const cuda = ort.listSupportedBackends?.().find((b) => b.name === 'cuda');
  if (!cuda || !cuda.bundled) {
    throw new BackendError(
      'BACKEND_CONFIG',
      'DEVICE=cuda was requested but onnxruntime-node has no CUDA provider installed (it was installed with ONNXRUNTIME_NODE_INSTALL_CUDA=skip); reinstall with --onnxruntime-node-install=cuda12 on a GPU machine',
    );
  }
}
