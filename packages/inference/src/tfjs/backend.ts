import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { readOnnxWeights, type Pooling } from '@servebench/model';
import { BackendError, type Backend, type EncodedBatch, type Embeddings } from '../backend.js';
import type { Device } from '../ort.js';
import { embedOn, openSession, type ModelSession, type ModelThread } from '../model-thread.js';
import { bertForward, bertTensors, disposeBert, type TfjsModelConfig } from './bert.js';
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
  /**
   * Where the model computes. TensorFlow.js ops (wasm and libtensorflow alike) run synchronously on
   * the calling thread, so `main` blocks the event loop for each inference; `worker` (the default)
   * loads the runtime and the weights on a dedicated thread and keeps the event loop free.
   */
  thread?: ModelThread;
}

/** What the session factory needs; structured-cloneable so that it can be sent to the worker. */
export type TfjsSessionInit = Omit<TfjsOptions, 'thread'>;

/**
 * Picks and loads the runtime, then uploads the ONNX file's weights, on whichever thread calls
 * this (see model-thread.ts). The TensorFlow.js engine is per thread, so a worker has its own.
 */
export async function openTfjsSession(o: TfjsSessionInit): Promise<ModelSession> {
  const passedOver: string[] = [];
  const rt = await selectRuntime(o, passedOver);
  const [config, bytes] = await Promise.all([readConfig(o.modelPath), readFile(o.modelPath)]);
  const { tf } = rt;
  const weights = bertTensors(tf, readOnnxWeights(bytes), config);
  const dim = config.hiddenSize;
  return {
    info: {
      ...rt.info,
      ...(o.backend === 'tfjs' ? { selected_by: 'auto', passed_over: passedOver.join('; ') || 'none' } : {}),
    },
    async run(b) {
      if (b.batch === 0 || b.seqLen === 0) return { data: new Float32Array(b.batch * dim), dim };
      const out = tf.tidy(() => bertForward(tf, weights, config, b));
      try {
        return { data: (await out.data()) as Float32Array, dim };
      } finally {
        out.dispose();
      }
    },
    async close() {
      disposeBert(tf, weights);
    },
  };
}

/** A forced runtime, or for `tfjs` (auto) the first that loads, noting why earlier ones were passed over. */
async function selectRuntime(o: TfjsSessionInit, passedOver: string[]): Promise<TfjsRuntime> {
  const { backend, device, intraOpThreads } = o;
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
      passedOver.push(e.message);
    }
  }
  throw new BackendError('BACKEND_CONFIG', `no TensorFlow.js runtime loads here: ${passedOver.join('; ')}`);
}

/** Padded tokens per call on the slow (non-native) tfjs backends: one text of the longest sequence. */
export const SLOW_CALL_TOKENS = 512;

/** The forged BERT in TensorFlow.js, computing the ONNX graph's math over the ONNX file's own weights. */
export class TfjsBackend implements Backend {
  readonly id: TfjsBackendId;
  private readonly opts: Readonly<TfjsOptions>;
  private session: ModelSession | undefined;

  /**
   * tfjs-wasm runs BERT about ten times slower than onnxruntime: a 16 x 512 part took 18 s here, so an abandoned
   * large request held the model that long. One 512-token text per part (about 1 s). `tfjs` (the first runtime
   * that loads) is treated as slow too; the native libtensorflow runtimes keep the pipeline's default.
   */
  readonly maxCallTokens: number | undefined;

  constructor(opts: TfjsOptions) {
    this.opts = Object.freeze({ thread: 'worker', ...opts });
    this.id = opts.backend;
    this.maxCallTokens =
      opts.backend === 'tfjs-node' || opts.backend === 'tfjs-node-gpu' ? undefined : SLOW_CALL_TOKENS;
  }

  info(): Record<string, string> {
    return { runtime: 'not loaded', ...this.session?.info, session_thread: this.opts.thread ?? 'worker' };
  }

  async load(): Promise<void> {
    const { backend, modelPath, device, intraOpThreads, thread } = this.opts;
    const init: TfjsSessionInit = { backend, modelPath, device, intraOpThreads };
    this.session = await openSession(thread ?? 'worker', {
      open: openTfjsSession,
      module: import.meta.url,
      init,
      label: 'TensorFlow.js',
    });
  }

  async ready(): Promise<boolean> {
    return this.session !== undefined;
  }

  /** 2 on a worker thread (the next call waits in the thread's inbox), 1 on the main thread. */
  get concurrency(): number {
    return this.session?.depth ?? 1;
  }

  embed(b: EncodedBatch, signal?: AbortSignal): Promise<Embeddings> {
    return embedOn(this.session, b, signal, 'TensorFlow.js', 'the TensorFlow.js model is not loaded');
  }

  async close(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    await session?.close();
  }
}

/** Heads and LayerNorm epsilon are not recoverable from the weights alone; ensureModel writes config.json beside model.onnx. */
async function readConfig(modelPath: string): Promise<TfjsModelConfig> {
  const path = join(dirname(modelPath), 'config.json');
  let c: TfjsModelConfig & { poolingHead?: Pooling; denseWeightLayout?: string };
  try {
    c = JSON.parse(await readFile(path, 'utf8')) as typeof c;
  } catch (e) {
    throw new BackendError(
      'BACKEND_CONFIG',
      `TensorFlow.js needs the model's config.json beside ${modelPath}: ${(e as Error).message}`,
      { cause: e },
    );
  }
  if (!Number.isInteger(c.numHeads) || c.numHeads < 1 || c.hiddenSize % c.numHeads !== 0 || !(c.layerNormEps > 0)) {
    throw new BackendError('BACKEND_CONFIG', `${path} lacks a valid numHeads / hiddenSize / layerNormEps`);
  }
  if (c.denseWeightLayout !== '[in, out]') {
    // An ONNX export keeps its own graph (the int8 one: DequantizeLinear-style Cast/Mul weights
    // under other names), which this forward pass does not mirror.
    throw new BackendError(
      'BACKEND_CONFIG',
      `TensorFlow.js runs the forge's own BERT graph (generated models and checkpoints converted from safetensors); ${c.name} is an ONNX export with its own graph and weights (${modelPath}), which it cannot run: serve it with an ORT stack`,
    );
  }
  return { ...c, pooling: c.poolingHead ?? { mode: 'mean', normalize: false } };
}
