import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import ort from 'onnxruntime-node';
import { BackendError, type Backend, type EncodedBatch, type Embeddings } from './backend.js';

export type Device = 'cpu' | 'cuda';

export interface OrtOptions {
  modelPath: string;
  device: Device;
  /** Threads inside one operator. Set explicitly so that stacks compare at equal thread counts. */
  intraOpThreads: number;
  interOpThreads: number;
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
  private session: ort.InferenceSession | undefined;
  private readonly opts: Readonly<OrtOptions>;

  constructor(opts: OrtOptions) {
    this.opts = Object.freeze({ ...opts });
  }

  info(): Record<string, string> {
    return {
      runtime: `onnxruntime-node ${ortVersion()}`,
      device: this.opts.device,
      intra_op_threads: String(this.opts.intraOpThreads),
      inter_op_threads: String(this.opts.interOpThreads),
    };
  }

  async load(): Promise<void> {
    if (this.opts.device === 'cuda') assertCudaAvailable();
    try {
      this.session = await ort.InferenceSession.create(this.opts.modelPath, {
        executionProviders: [this.opts.device],
        intraOpNumThreads: this.opts.intraOpThreads,
        interOpNumThreads: this.opts.interOpThreads,
        graphOptimizationLevel: 'all',
        executionMode: 'sequential',
      });
    } catch (e) {
      throw new BackendError('BACKEND_CONFIG', `onnxruntime could not load ${this.opts.modelPath} on ${this.opts.device}: ${(e as Error).message}`, { cause: e });
    }
  }

  async ready(): Promise<boolean> {
    return this.session !== undefined;
  }

  async embed(b: EncodedBatch): Promise<Embeddings> {
    const session = this.session;
    if (!session) throw new BackendError('BACKEND_UNAVAILABLE', 'onnxruntime session is not loaded');
    const dims = [b.batch, b.seqLen];
    const out = await session.run({
      input_ids: new ort.Tensor('int64', b.inputIds, dims),
      attention_mask: new ort.Tensor('int64', b.attentionMask, dims),
      token_type_ids: new ort.Tensor('int64', b.tokenTypeIds, dims),
    });
    const t = out.embedding;
    if (!t || t.type !== 'float32' || t.dims.length !== 2 || t.dims[0] !== b.batch) {
      throw new BackendError('BAD_BACKEND_RESPONSE', 'onnxruntime returned no [batch, hidden] float32 "embedding" output');
    }
    return { data: t.data as Float32Array, batch: b.batch, dim: Number(t.dims[1]) };
  }

  async close(): Promise<void> {
    await this.session?.release();
    this.session = undefined;
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
