import type { BertConfig } from './configs.js';
import {
  float32ToLE,
  onnx,
  type IAttributeProto,
  type IGraphProto,
  type INodeProto,
  type ITensorProto,
  type IValueInfoProto,
} from './onnx.js';
import type { Weight } from './weights.js';

export const OPSET = 17;
export const IR_VERSION = 8;
export const INPUT_NAMES = ['input_ids', 'attention_mask', 'token_type_ids'] as const;
export const OUTPUT_NAME = 'embedding';
/** Additive attention bias for masked keys; exp(-10000) underflows to exactly 0 in float32. */
export const MASK_NEGATIVE = -10000;
/** Lower bound on the token count so an all-zero mask yields a zero vector, not NaN. */
export const MIN_TOKEN_COUNT = 1e-9;

const { AttributeType } = onnx.AttributeProto;
const { DataType } = onnx.TensorProto;

type Attr = number | number[] | ITensorProto | { float: number };

function attribute(name: string, v: Attr): IAttributeProto {
  if (typeof v === 'number') return { name, type: AttributeType.INT, i: v };
  if (Array.isArray(v)) return { name, type: AttributeType.INTS, ints: v };
  if ('float' in v) return { name, type: AttributeType.FLOAT, f: v.float };
  return { name, type: AttributeType.TENSOR, t: v };
}

/** How the token vectors become one embedding (sentence-transformers' Pooling + optional Normalize). */
export interface Pooling {
  mode: 'mean' | 'cls' | 'max';
  /** L2-normalize the pooled vector (a sentence-transformers Normalize module). */
  normalize: boolean;
}
export const MEAN_POOLING: Pooling = Object.freeze({ mode: 'mean', normalize: false });
/** Masked-out tokens for max pooling, as sentence-transformers sets them. */
export const MAX_POOL_FILL = -1e9;
/** torch.nn.functional.normalize's eps. */
export const NORMALIZE_EPS = 1e-12;

/** Appends nodes with readable, unique output names (`<scope>/<Op>`), like torch.onnx exports. */
export class GraphBuilder {
  readonly nodes: INodeProto[] = [];
  private readonly used = new Set<string>();

  constructor(taken: Iterable<string> = []) {
    for (const n of taken) this.used.add(n);
  }

  op(scope: string, opType: string, inputs: string[], attrs: Record<string, Attr> = {}): string {
    let out = `${scope}/${opType}`;
    for (let k = 1; this.used.has(out); k++) out = `${scope}/${opType}_${k}`;
    this.used.add(out);
    this.nodes.push({
      name: out,
      opType,
      input: inputs,
      output: [out],
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return out;
  }

  constInt64(scope: string, values: number[], scalar = false): string {
    return this.op(scope, 'Constant', [], {
      value: { dataType: DataType.INT64, dims: scalar ? [] : [values.length], int64Data: values },
    });
  }

  constFloat(scope: string, value: number): string {
    return this.op(scope, 'Constant', [], { value: { dataType: DataType.FLOAT, dims: [], floatData: [value] } });
  }

  dense(scope: string, x: string, prefix: string): string {
    const y = this.op(scope, 'MatMul', [x, `${prefix}.weight`]);
    return this.op(scope, 'Add', [y, `${prefix}.bias`]);
  }

  layerNorm(scope: string, x: string, prefix: string, eps: number): string {
    return this.op(scope, 'LayerNormalization', [x, `${prefix}.weight`, `${prefix}.bias`], {
      axis: -1,
      epsilon: { float: eps },
    });
  }
}

function valueInfo(name: string, elemType: number, dims: (string | number)[]): IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
      },
    },
  };
}

/** Builds the BERT encoder + masked-mean-pooling graph over the given initializers. */
export function buildGraph(c: BertConfig, weights: Weight[], pooling: Pooling = MEAN_POOLING): IGraphProto {
  const g = new GraphBuilder();
  const H = c.hiddenSize;
  const heads = c.numHeads;
  const headDim = H / heads;
  const [ids, mask, types] = INPUT_NAMES;

  // Embeddings: positions 0..seq-1 are a Slice of the position table up to Shape(input_ids)[1].
  const e = '/embeddings';
  const word = g.op(e, 'Gather', ['embeddings.word_embeddings.weight', ids], { axis: 0 });
  const seqLen = g.op(e, 'Shape', [ids], { start: 1, end: 2 });
  const pos = g.op(e, 'Slice', [
    'embeddings.position_embeddings.weight',
    g.constInt64(e, [0]),
    seqLen,
    g.constInt64(e, [0]),
  ]);
  const tok = g.op(e, 'Gather', ['embeddings.token_type_embeddings.weight', types], { axis: 0 });
  const sum = g.op(e, 'Add', [g.op(e, 'Add', [word, pos]), tok]);
  let hidden = g.layerNorm(`${e}/LayerNorm`, sum, 'embeddings.LayerNorm', c.layerNormEps);

  // Mask as float [batch, seq]; additive attention bias [batch, 1, 1, seq].
  const m = '/mask';
  const maskF = g.op(m, 'Cast', [mask], { to: DataType.FLOAT });
  const maskExt = g.op(m, 'Unsqueeze', [maskF, g.constInt64(m, [1, 2])]);
  const inverted = g.op(m, 'Sub', [g.constFloat(m, 1), maskExt]);
  const maskBias = g.op(m, 'Mul', [inverted, g.constFloat(m, MASK_NEGATIVE)]);

  const toHeads = g.constInt64('/shapes', [0, 0, heads, headDim]);
  const fromHeads = g.constInt64('/shapes', [0, 0, H]);
  const scale = g.constFloat('/shapes', 1 / Math.sqrt(headDim));
  const sqrt2 = g.constFloat('/shapes', Math.SQRT2);
  const one = g.constFloat('/shapes', 1);
  const half = g.constFloat('/shapes', 0.5);

  for (let l = 0; l < c.numLayers; l++) {
    const p = `encoder.layer.${l}`;
    const s = `/encoder/layer.${l}`;
    const sa = `${s}/attention/self`;
    // [b, s, H] -> [b, heads, s, headDim]; K goes straight to [b, heads, headDim, s].
    const split = (name: string, perm: number[]): string => {
      const x = g.dense(`${sa}/${name}`, hidden, `${p}.attention.self.${name}`);
      const r = g.op(`${sa}/${name}`, 'Reshape', [x, toHeads]);
      return g.op(`${sa}/${name}`, 'Transpose', [r], { perm });
    };
    const q = split('query', [0, 2, 1, 3]);
    const kT = split('key', [0, 2, 3, 1]);
    const v = split('value', [0, 2, 1, 3]);
    const scores = g.op(sa, 'Mul', [g.op(sa, 'MatMul', [q, kT]), scale]);
    const probs = g.op(sa, 'Softmax', [g.op(sa, 'Add', [scores, maskBias])], { axis: -1 });
    const ctx = g.op(sa, 'Transpose', [g.op(sa, 'MatMul', [probs, v])], { perm: [0, 2, 1, 3] });
    const merged = g.op(sa, 'Reshape', [ctx, fromHeads]);

    const ao = `${s}/attention/output`;
    const attnOut = g.dense(`${ao}/dense`, merged, `${p}.attention.output.dense`);
    const res1 = g.op(ao, 'Add', [attnOut, hidden]);
    const h1 = g.layerNorm(`${ao}/LayerNorm`, res1, `${p}.attention.output.LayerNorm`, c.layerNormEps);

    // GELU, erf form: 0.5 * x * (1 + erf(x / sqrt(2))). Opset 17 has no Gelu op.
    const it = `${s}/intermediate`;
    const x = g.dense(`${it}/dense`, h1, `${p}.intermediate.dense`);
    const erf = g.op(it, 'Erf', [g.op(it, 'Div', [x, sqrt2])]);
    const gelu = g.op(it, 'Mul', [g.op(it, 'Mul', [x, g.op(it, 'Add', [erf, one])]), half]);

    const o = `${s}/output`;
    const ffnOut = g.dense(`${o}/dense`, gelu, `${p}.output.dense`);
    const res2 = g.op(o, 'Add', [ffnOut, h1]);
    hidden = g.layerNorm(`${o}/LayerNorm`, res2, `${p}.output.LayerNorm`, c.layerNormEps);
  }

  poolingHead(g, hidden, maskF, pooling, OPSET);

  return {
    name: `bert-${c.name}`,
    node: g.nodes,
    initializer: weights.map((w) => ({
      name: w.name,
      dataType: DataType.FLOAT,
      dims: w.dims,
      rawData: float32ToLE(w.data),
    })),
    input: INPUT_NAMES.map((n) => valueInfo(n, DataType.INT64, ['batch', 'sequence'])),
    output: [valueInfo(OUTPUT_NAME, DataType.FLOAT, ['batch', H])],
  };
}

/**
 * Pools `hidden` [batch, seq, H] with the float mask [batch, seq] into the graph output
 * `embedding` [batch, H]. The mean/no-normalize nodes are exactly the forge's original ones, so
 * generated models keep their bytes. `opset` picks ReduceMax's axes form (attribute before 18).
 */
export function poolingHead(g: GraphBuilder, hidden: string, maskF: string, pooling: Pooling, opset: number): void {
  const pl = '/pooler';
  let pooled: string;
  if (pooling.mode === 'cls') {
    pooled = g.op(pl, 'Gather', [hidden, g.constInt64(pl, [0], true)], { axis: 1 });
  } else if (pooling.mode === 'max') {
    const mask3 = g.op(pl, 'Unsqueeze', [maskF, g.constInt64(pl, [2])]);
    const fill = g.op(pl, 'Mul', [g.op(pl, 'Sub', [g.constFloat(pl, 1), mask3]), g.constFloat(pl, MAX_POOL_FILL)]);
    const filled = g.op(pl, 'Add', [hidden, fill]);
    pooled =
      opset >= 18
        ? g.op(pl, 'ReduceMax', [filled, g.constInt64(pl, [1])], { keepdims: 0 })
        : g.op(pl, 'ReduceMax', [filled], { axes: [1], keepdims: 0 });
  } else {
    // Masked mean over the sequence: sum(h * mask) / max(sum(mask), 1e-9).
    const mask3 = g.op(pl, 'Unsqueeze', [maskF, g.constInt64(pl, [2])]);
    const seqAxis = g.constInt64(pl, [1]);
    const summed = g.op(pl, 'ReduceSum', [g.op(pl, 'Mul', [hidden, mask3]), seqAxis], { keepdims: 0 });
    const count = g.op(pl, 'ReduceSum', [mask3, seqAxis], { keepdims: 0 });
    const safeCount = g.op(pl, 'Max', [count, g.constFloat(pl, MIN_TOKEN_COUNT)]);
    pooled = g.op(pl, 'Div', [summed, safeCount]);
  }
  if (pooling.normalize) {
    // x / max(||x||_2, 1e-12), as torch.nn.functional.normalize.
    const nm = '/normalize';
    const sq = g.op(nm, 'ReduceSum', [g.op(nm, 'Mul', [pooled, pooled]), g.constInt64(nm, [1])], { keepdims: 1 });
    const norm = g.op(nm, 'Max', [g.op(nm, 'Sqrt', [sq]), g.constFloat(nm, NORMALIZE_EPS)]);
    pooled = g.op(nm, 'Div', [pooled, norm]);
  }
  g.nodes.push({ name: `${pl}/Identity`, opType: 'Identity', input: [pooled], output: [OUTPUT_NAME] });
}

/** Graph inputs/outputs helper for code that rewrites another graph's outputs. */
export function floatOutput(name: string, dims: (string | number)[]): IValueInfoProto {
  return valueInfo(name, DataType.FLOAT, dims);
}
