// Plain-loop float64 BERT forward pass straight from the weight tensors, used to check the ONNX
// graph independently of any graph evaluator. Slow by design; only for tiny inputs in tests.
import type { BertConfig } from '../configs.js';

export type WeightMap = Map<string, { dims: number[]; data: Float32Array }>;

export interface ReferenceBatch {
  inputIds: number[][];
  attentionMask: number[][];
  tokenTypeIds: number[][];
}

function tensor(w: WeightMap, name: string, dims: number[]): Float32Array {
  const t = w.get(name);
  if (!t) throw new Error(`reference: missing weight ${name}`);
  if (JSON.stringify(t.dims) !== JSON.stringify(dims)) {
    throw new Error(`reference: ${name} has dims ${JSON.stringify(t.dims)}, expected ${JSON.stringify(dims)}`);
  }
  return t.data;
}

/** y[s, o] = sum_i x[s, i] * W[i, o] + b[o]; W stored [in, out]. */
function linear(
  x: Float64Array,
  rows: number,
  w: Float32Array,
  b: Float32Array,
  nIn: number,
  nOut: number,
): Float64Array {
  const y = new Float64Array(rows * nOut);
  for (let s = 0; s < rows; s++) {
    for (let o = 0; o < nOut; o++) {
      let acc = b[o] as number;
      for (let i = 0; i < nIn; i++) acc += (x[s * nIn + i] as number) * (w[i * nOut + o] as number);
      y[s * nOut + o] = acc;
    }
  }
  return y;
}

function layerNorm(
  x: Float64Array,
  rows: number,
  n: number,
  gamma: Float32Array,
  beta: Float32Array,
  eps: number,
): Float64Array {
  const y = new Float64Array(rows * n);
  for (let s = 0; s < rows; s++) {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += x[s * n + i] as number;
    mean /= n;
    let variance = 0;
    for (let i = 0; i < n; i++) variance += ((x[s * n + i] as number) - mean) ** 2;
    variance /= n;
    const inv = 1 / Math.sqrt(variance + eps);
    for (let i = 0; i < n; i++) {
      y[s * n + i] = ((x[s * n + i] as number) - mean) * inv * (gamma[i] as number) + (beta[i] as number);
    }
  }
  return y;
}

/** erf to ~1e-15: Maclaurin series near 0, Laplace continued fraction for erfc in the tails. */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 3) {
    let term = x;
    let sum = x;
    for (let n = 1; n < 200 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
      term *= (-x * x) / n;
      sum += term / (2 * n + 1);
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  let k = ax;
  for (let n = 60; n >= 1; n--) k = ax + n / 2 / k;
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / k;
  return Math.sign(x) * (1 - erfc);
}

function gelu(x: number): number {
  return 0.5 * x * (1 + erf(x / Math.SQRT2));
}

/** Masked-mean-pooled embeddings, one Float64Array of hiddenSize per batch row. */
export function referenceEmbed(c: BertConfig, w: WeightMap, batch: ReferenceBatch): Float64Array[] {
  const H = c.hiddenSize;
  const I = c.intermediateSize;
  const heads = c.numHeads;
  const hd = H / heads;
  const word = tensor(w, 'embeddings.word_embeddings.weight', [c.vocabSize, H]);
  const posTable = tensor(w, 'embeddings.position_embeddings.weight', [c.maxPositions, H]);
  const typeTable = tensor(w, 'embeddings.token_type_embeddings.weight', [c.typeVocabSize, H]);

  return batch.inputIds.map((ids, b) => {
    const mask = batch.attentionMask[b] ?? [];
    const types = batch.tokenTypeIds[b] ?? [];
    const S = ids.length;
    let h: Float64Array = new Float64Array(S * H);
    for (let s = 0; s < S; s++) {
      const id = ids[s] as number;
      const t = types[s] as number;
      for (let i = 0; i < H; i++) {
        h[s * H + i] =
          (word[id * H + i] as number) + (posTable[s * H + i] as number) + (typeTable[t * H + i] as number);
      }
    }
    h = layerNorm(
      h,
      S,
      H,
      tensor(w, 'embeddings.LayerNorm.weight', [H]),
      tensor(w, 'embeddings.LayerNorm.bias', [H]),
      c.layerNormEps,
    );
    const bias = mask.map((m) => (1 - m) * -10000);

    for (let l = 0; l < c.numLayers; l++) {
      const p = `encoder.layer.${l}`;
      const dense = (x: Float64Array, name: string, nIn: number, nOut: number): Float64Array =>
        linear(x, S, tensor(w, `${p}.${name}.weight`, [nIn, nOut]), tensor(w, `${p}.${name}.bias`, [nOut]), nIn, nOut);
      const q = dense(h, 'attention.self.query', H, H);
      const k = dense(h, 'attention.self.key', H, H);
      const v = dense(h, 'attention.self.value', H, H);
      const ctx = new Float64Array(S * H);
      const scores = new Float64Array(S);
      for (let a = 0; a < heads; a++) {
        for (let i = 0; i < S; i++) {
          let max = -Infinity;
          for (let j = 0; j < S; j++) {
            let dot = 0;
            for (let d = 0; d < hd; d++) dot += (q[i * H + a * hd + d] as number) * (k[j * H + a * hd + d] as number);
            const score = dot / Math.sqrt(hd) + (bias[j] as number);
            scores[j] = score;
            if (score > max) max = score;
          }
          let total = 0;
          for (let j = 0; j < S; j++) {
            const e = Math.exp((scores[j] as number) - max);
            scores[j] = e;
            total += e;
          }
          for (let d = 0; d < hd; d++) {
            let acc = 0;
            for (let j = 0; j < S; j++) acc += ((scores[j] as number) / total) * (v[j * H + a * hd + d] as number);
            ctx[i * H + a * hd + d] = acc;
          }
        }
      }
      const attn = dense(ctx, 'attention.output.dense', H, H);
      for (let i = 0; i < S * H; i++) attn[i] = (attn[i] as number) + (h[i] as number);
      const h1 = layerNorm(
        attn,
        S,
        H,
        tensor(w, `${p}.attention.output.LayerNorm.weight`, [H]),
        tensor(w, `${p}.attention.output.LayerNorm.bias`, [H]),
        c.layerNormEps,
      );
      const inter = dense(h1, 'intermediate.dense', H, I).map(gelu);
      const out = dense(inter, 'output.dense', I, H);
      for (let i = 0; i < S * H; i++) out[i] = (out[i] as number) + (h1[i] as number);
      h = layerNorm(
        out,
        S,
        H,
        tensor(w, `${p}.output.LayerNorm.weight`, [H]),
        tensor(w, `${p}.output.LayerNorm.bias`, [H]),
        c.layerNormEps,
      );
    }

    const pooled = new Float64Array(H);
    let count = 0;
    for (let s = 0; s < S; s++) {
      const m = mask[s] as number;
      count += m;
      for (let i = 0; i < H; i++) pooled[i] = (pooled[i] as number) + (h[s * H + i] as number) * m;
    }
    const denom = Math.max(count, 1e-9);
    return pooled.map((x) => x / denom);
  });
}
