// The forged ONNX graph's math (packages/model/src/graph.ts) in TensorFlow.js ops, over the
// same initializers: a change to one must be mirrored in the other (the identity test checks).
import type { Tensor, Tensor1D, Tensor2D, TensorContainer } from '@tensorflow/tfjs-core';
import type { BertConfig, Pooling } from '@servebench/model';
import { BackendError } from '../backend.js';
import type { ModelInput } from '../model-thread.js';
import type { Tf } from './runtime.js';

export type WeightMap = Map<string, { dims: number[]; data: Float32Array }>;

interface Dense {
  w: Tensor2D;
  b: Tensor1D;
}
interface Norm {
  g: Tensor1D;
  b: Tensor1D;
}
interface Layer {
  q: Dense;
  k: Dense;
  v: Dense;
  attnOut: Dense;
  attnNorm: Norm;
  inter: Dense;
  out: Dense;
  outNorm: Norm;
}

export interface BertTensors {
  word: Tensor2D;
  pos: Tensor2D;
  type: Tensor2D;
  embNorm: Norm;
  layers: Layer[];
}

/** Additive attention bias for masked keys, the pooling count floor, max pooling's fill and the L2 floor, as in graph.ts. */
const MASK_NEGATIVE = -10000;
const MIN_TOKEN_COUNT = 1e-9;
const MAX_POOL_FILL = -1e9;
const NORMALIZE_EPS = 1e-12;

/** The config plus the pooling head the ONNX graph ends with (config.json's poolingHead; mean when absent). */
export type TfjsModelConfig = BertConfig & { pooling?: Pooling };

/** Uploads the ONNX initializers as tensors, checking every shape against the config. */
export function bertTensors(tf: Tf, w: WeightMap, c: BertConfig): BertTensors {
  const get = (name: string, dims: number[]): Float32Array => {
    const x = w.get(name);
    if (!x || x.dims.join() !== dims.join()) {
      throw new BackendError(
        'BACKEND_CONFIG',
        `model weight ${name} is ${x ? JSON.stringify(x.dims) : 'missing'}, expected ${JSON.stringify(dims)}`,
      );
    }
    return x.data;
  };
  const t2 = (name: string, rows: number, cols: number): Tensor2D => tf.tensor2d(get(name, [rows, cols]), [rows, cols]);
  const t1 = (name: string, n: number): Tensor1D => tf.tensor1d(get(name, [n]));
  const H = c.hiddenSize;
  const I = c.intermediateSize;
  const dense = (p: string, nIn: number, nOut: number): Dense => ({
    w: t2(`${p}.weight`, nIn, nOut),
    b: t1(`${p}.bias`, nOut),
  });
  const norm = (p: string): Norm => ({ g: t1(`${p}.weight`, H), b: t1(`${p}.bias`, H) });
  // tidy frees what was uploaded if a later weight is missing; the returned tensors are kept.
  const upload = (): BertTensors => ({
    word: t2('embeddings.word_embeddings.weight', c.vocabSize, H),
    pos: t2('embeddings.position_embeddings.weight', c.maxPositions, H),
    type: t2('embeddings.token_type_embeddings.weight', c.typeVocabSize, H),
    embNorm: norm('embeddings.LayerNorm'),
    layers: Array.from({ length: c.numLayers }, (_, l) => {
      const p = `encoder.layer.${l}`;
      return {
        q: dense(`${p}.attention.self.query`, H, H),
        k: dense(`${p}.attention.self.key`, H, H),
        v: dense(`${p}.attention.self.value`, H, H),
        attnOut: dense(`${p}.attention.output.dense`, H, H),
        attnNorm: norm(`${p}.attention.output.LayerNorm`),
        inter: dense(`${p}.intermediate.dense`, H, I),
        out: dense(`${p}.output.dense`, I, H),
        outNorm: norm(`${p}.output.LayerNorm`),
      };
    }),
  });
  return tf.tidy(() => upload() as unknown as TensorContainer) as unknown as BertTensors;
}

const int32 = (x: BigInt64Array): Int32Array => Int32Array.from(x, Number);

/** Pooled embeddings [batch, hidden]. Call inside tf.tidy: intermediates are not disposed here. */
export function bertForward(tf: Tf, t: BertTensors, c: TfjsModelConfig, b: ModelInput): Tensor2D {
  const { batch: B, seqLen: S } = b;
  const H = c.hiddenSize;
  const heads = c.numHeads;
  const hd = H / heads;
  // The tokenizer truncates to maxPositions, so this is a caller bug, not a configuration problem.
  if (S > c.maxPositions) throw new RangeError(`sequence length ${S} exceeds the model's ${c.maxPositions} positions`);

  const dense = (x: Tensor, d: Dense): Tensor => tf.fused.matMul({ a: x as Tensor2D, b: d.w, bias: d.b });
  const layerNorm = (x: Tensor, n: Norm): Tensor => {
    const mean = tf.mean(x, -1, true);
    const centered = tf.sub(x, mean);
    const variance = tf.mean(tf.square(centered), -1, true);
    return tf.add(tf.mul(tf.mul(centered, tf.rsqrt(tf.add(variance, c.layerNormEps))), n.g), n.b);
  };

  // Hidden states stay [B*S, H] so every dense layer is one 2-D matmul.
  const word = tf.gather(t.word, tf.tensor1d(int32(b.inputIds), 'int32'));
  const type = tf.gather(t.type, tf.tensor1d(int32(b.tokenTypeIds), 'int32'));
  const pos = tf.slice(t.pos, [0, 0], [S, H]);
  const sum = tf.add(tf.add(tf.reshape(word, [B, S, H]), pos), tf.reshape(type, [B, S, H]));
  let h = layerNorm(tf.reshape(sum, [B * S, H]), t.embNorm);

  const mask = tf.tensor2d(Float32Array.from(b.attentionMask, Number), [B, S]);
  const maskBias = tf.reshape(tf.mul(tf.sub(1, mask), MASK_NEGATIVE), [B, 1, 1, S]);
  const scale = 1 / Math.sqrt(hd);

  for (const L of t.layers) {
    const split = (d: Dense) => tf.transpose(tf.reshape(dense(h, d), [B, S, heads, hd]), [0, 2, 1, 3]);
    const scores = tf.add(tf.mul(tf.matMul(split(L.q), split(L.k), false, true), scale), maskBias);
    const ctx = tf.transpose(tf.matMul(tf.softmax(scores), split(L.v)), [0, 2, 1, 3]);
    const h1 = layerNorm(tf.add(dense(tf.reshape(ctx, [B * S, H]), L.attnOut), h), L.attnNorm);
    // GELU, erf form: 0.5 * x * (1 + erf(x / sqrt(2))).
    const x = dense(h1, L.inter);
    const gelu = tf.mul(tf.mul(x, tf.add(tf.erf(tf.div(x, Math.SQRT2)), 1)), 0.5);
    h = layerNorm(tf.add(dense(gelu, L.out), h1), L.outNorm);
  }

  const mask3 = tf.reshape(mask, [B, S, 1]);
  const h3 = tf.reshape(h, [B, S, H]);
  let pooled: Tensor2D;
  if (c.pooling?.mode === 'cls') {
    pooled = tf.reshape(tf.slice(h3, [0, 0, 0], [B, 1, H]), [B, H]) as Tensor2D;
  } else if (c.pooling?.mode === 'max') {
    // Masked-out tokens are pushed to -1e9 before the max, as sentence-transformers does.
    pooled = tf.max(tf.add(h3, tf.mul(tf.sub(1, mask3), MAX_POOL_FILL)), 1) as Tensor2D;
  } else {
    // Masked mean over the sequence: sum(h * mask) / max(sum(mask), 1e-9).
    const summed = tf.sum(tf.mul(h3, mask3), 1);
    pooled = tf.div<Tensor2D>(summed, tf.maximum(tf.sum(mask3, 1), MIN_TOKEN_COUNT));
  }
  if (!c.pooling?.normalize) return pooled;
  // x / max(||x||_2, 1e-12), as torch.nn.functional.normalize (a sentence-transformers Normalize module).
  return tf.div<Tensor2D>(pooled, tf.maximum(tf.sqrt(tf.sum(tf.mul(pooled, pooled), 1, true)), NORMALIZE_EPS));
}

export function disposeBert(tf: Tf, t: BertTensors): void {
  tf.dispose(t as unknown as TensorContainer);
}
