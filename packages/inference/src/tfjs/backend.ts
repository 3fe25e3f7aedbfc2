import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { readOnnxWeights, type BertConfig } from '@servebench/model';
import { BackendError, type Backend, type EncodedBatch, type Embeddings } from '../backend.js';
import type { Device } from '../ort.js';
import { bertForward, bertTensors, disposeBert, type BertTensors } from './bert.js';
import { loadRuntime, TFJS_RUNTIMES, type TfjsRuntime, type TfjsRuntimeId } from './runtime.js';

/** `tfjs` picks the first runtime that loads; the others force one. */
export const TFJS_BACKEND_IDS = ['tfjs', ...TFJS_RUNTIMES] as const;
export type TfjsBackendId = (typeof TFJS_BACKEND_IDS)[number];

export interface TfjsOptions {
  backend: TfjsBackendId;
  /** The ONNX file; its initializers are the weights and config.json beside it gives heads and eps. */
  modelPath: string;
  device: Device;
  intraOpThreads: number;
}

/** The forged BERT in TensorFlow.js, computing the ONNX graph's math over the ONNX file's own weights. */
export class TfjsBackend implements Backend {
  readonly id: TfjsBackendId;
  private readonly opts: Readonly<TfjsOptions>;
  private loaded: { rt: TfjsRuntime; config: BertConfig; weights: BertTensors } | undefined;
  /** Why `tfjs` (auto) passed over earlier runtimes, for info(). */
  private readonly passedOver: string[] = [];

  constructor(opts: TfjsOptions) {
    this.opts = Object.freeze({ ...opts });
    this.id = opts.backend;
  }

  info(): Record<string, string> {
    const rt = this.loaded?.rt;
    return {
      runtime: rt?.info.runtime ?? 'not loaded',
      ...rt?.info,
      ...(this.id === 'tfjs' ? { selected_by: 'auto', passed_over: this.passedOver.join('; ') || 'none' } : {}),
    };
  }

  async load(): Promise<void> {
    const rt = await this.runtime();
    const [config, bytes] = await Promise.all([readConfig(this.opts.modelPath), readFile(this.opts.modelPath)]);
    const weights = bertTensors(rt.tf, readOnnxWeights(bytes), config);
    this.loaded = { rt, config, weights };
  }

  private async runtime(): Promise<TfjsRuntime> {
    const { backend, device, intraOpThreads } = this.opts;
    if (device === 'cuda' && backend !== 'tfjs' && backend !== 'tfjs-node-gpu') {
      throw new BackendError('BACKEND_CONFIG', `DEVICE=cuda needs BACKEND=tfjs-node-gpu, not ${backend}`);
    }
    if (backend !== 'tfjs') return loadRuntime(backend, intraOpThreads);
    const order: readonly TfjsRuntimeId[] = device === 'cuda' ? ['tfjs-node-gpu'] : TFJS_RUNTIMES;
    for (const id of order) {
      try {
        return await loadRuntime(id, intraOpThreads);
      } catch (e) {
        if (!(e instanceof BackendError) || e.code !== 'BACKEND_CONFIG') throw e;
        this.passedOver.push(e.message);
      }
    }
    throw new BackendError('BACKEND_CONFIG', `no TensorFlow.js runtime loads here: ${this.passedOver.join('; ')}`);
  }

  async ready(): Promise<boolean> {
    return this.loaded !== undefined;
  }

  async embed(b: EncodedBatch): Promise<Embeddings> {
    const m = this.loaded;
    if (!m) throw new BackendError('BACKEND_UNAVAILABLE', 'the TensorFlow.js model is not loaded');
    const dim = m.config.hiddenSize;
    if (b.batch === 0 || b.seqLen === 0) return { data: new Float32Array(b.batch * dim), batch: b.batch, dim };
    const { tf } = m.rt;
    const out = tf.tidy(() => bertForward(tf, m.weights, m.config, b));
    try {
      return { data: (await out.data()) as Float32Array, batch: b.batch, dim };
    } finally {
      out.dispose();
    }
  }

  async close(): Promise<void> {
    if (this.loaded) disposeBert(this.loaded.rt.tf, this.loaded.weights);
    this.loaded = undefined;
  }
}

/** Heads and LayerNorm epsilon are not recoverable from the weights alone; ensureModel writes config.json beside model.onnx. */
async function readConfig(modelPath: string): Promise<BertConfig> {
  const path = join(dirname(modelPath), 'config.json');
  let c: BertConfig;
  try {
    c = JSON.parse(await readFile(path, 'utf8')) as BertConfig;
  } catch (e) {
    throw new BackendError('BACKEND_CONFIG', `TensorFlow.js needs the model's config.json beside ${modelPath}: ${(e as Error).message}`, { cause: e });
  }
  if (!Number.isInteger(c.numHeads) || c.numHeads < 1 || c.hiddenSize % c.numHeads !== 0 || !(c.layerNormEps > 0)) {
    throw new BackendError('BACKEND_CONFIG', `${path} lacks a valid numHeads / hiddenSize / layerNormEps`);
  }
  return c;
}
