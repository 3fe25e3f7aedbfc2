// Conversion with no torch: a checkpoint's safetensors weights into the forge's own BERT graph, or
// a user's ONNX export with the pooling head appended so it outputs `embedding`.
import type { BertConfig } from '../configs.js';
import {
  buildGraph,
  floatOutput,
  GraphBuilder,
  INPUT_NAMES,
  IR_VERSION,
  OPSET,
  OUTPUT_NAME,
  poolingHead,
  type Pooling,
} from '../graph.js';
import { int64ToNumber, onnx, type IModelProto } from '../onnx.js';
import { weightSpecs, type Weight } from '../weights.js';
import { GENERATOR_NAME } from '../forge.js';
import { unsupported } from './hf.js';
import { readSafetensors, type SafeTensor } from './safetensors.js';

/** Bump when converted bytes change for the same sources, so cached conversions are redone. */
export const CONVERTER_VERSION = 2;

/** HF names: an optional `bert.` prefix, and LayerNorm gamma/beta in old checkpoints. */
function lookup(tensors: Map<string, SafeTensor>, name: string): { key: string; t: SafeTensor } | undefined {
  const alt = name.replace(/LayerNorm\.weight$/, 'LayerNorm.gamma').replace(/LayerNorm\.bias$/, 'LayerNorm.beta');
  for (const key of [name, `bert.${name}`, alt, `bert.${alt}`]) {
    const t = tensors.get(key);
    if (t) return { key, t };
  }
  return undefined;
}

/** Weights in the forge's layout (dense kernels [in, out]), each checked against the config. */
export function checkpointWeights(bytes: Uint8Array, file: string, c: BertConfig): Weight[] {
  const tensors = readSafetensors(bytes, file);
  return weightSpecs(c).map((spec) => {
    const found = lookup(tensors, spec.name);
    if (!found) throw new Error(`MODEL_MISSING_TENSOR: ${file}: no tensor ${spec.name} (config.json expects it)`);
    const { key, t } = found;
    if (!t.data) {
      throw new Error(`MODEL_BAD_DTYPE: ${file}: tensor ${key} is ${t.dtype}; supported: F32, F16, BF16`);
    }
    // torch.nn.Linear stores [out, in]; the forge's graph multiplies by [in, out].
    const isKernel = spec.dims.length === 2 && !spec.name.startsWith('embeddings.');
    const want = isKernel ? [spec.dims[1] as number, spec.dims[0] as number] : spec.dims;
    if (t.shape.join() !== want.join()) {
      throw new Error(
        `MODEL_SHAPE_MISMATCH: ${file}: tensor ${key} is ${JSON.stringify(t.shape)}, config.json implies ${JSON.stringify(want)}`,
      );
    }
    if (!isKernel) return { name: spec.name, dims: spec.dims, data: t.data };
    const [o, i] = want as [number, number];
    const out = new Float32Array(i * o);
    for (let r = 0; r < o; r++) for (let k = 0; k < i; k++) out[k * o + r] = t.data[r * i + k] as number;
    return { name: spec.name, dims: spec.dims, data: out };
  });
}

export function checkpointToOnnx(
  bytes: Uint8Array,
  file: string,
  c: BertConfig,
  pooling: Pooling,
  meta: Record<string, string>,
): Uint8Array {
  const model: IModelProto = {
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET }],
    producerName: GENERATOR_NAME,
    producerVersion: `convert-${CONVERTER_VERSION}`,
    docString: `${c.name} converted from ${file}: BERT encoder, ${pooling.mode} pooling${pooling.normalize ? ', L2-normalized' : ''}; dense weights are [in, out].`,
    graph: buildGraph(c, checkpointWeights(bytes, file, c), pooling),
    metadataProps: [
      { key: 'servebench.config', value: JSON.stringify(c) },
      { key: 'servebench.pooling', value: JSON.stringify(pooling) },
      ...Object.entries(meta).map(([key, value]) => ({ key, value })),
    ],
  };
  return onnx.ModelProto.encode(model).finish();
}

export const HIDDEN_OUTPUT = 'last_hidden_state';

/** Hidden size of the export's last_hidden_state (its last dim), or undefined if symbolic. */
export function exportHiddenSize(bytes: Uint8Array, file: string): number | undefined {
  const model = decodeExport(bytes, file);
  const out = model.graph?.output?.find((o) => o.name === HIDDEN_OUTPUT);
  if (!out) {
    throw unsupported(
      file,
      `the graph has no output ${HIDDEN_OUTPUT} (outputs: ${(model.graph?.output ?? []).map((o) => o.name).join(', ')})`,
    );
  }
  const dim = out?.type?.tensorType?.shape?.dim?.[2];
  return dim?.dimValue !== undefined && dim.dimValue !== null ? int64ToNumber(dim.dimValue) : undefined;
}

function decodeExport(bytes: Uint8Array, file: string): IModelProto {
  try {
    return onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new Error(
      `MODEL_BAD_ONNX: ${file} is not a readable ONNX model (${(e as Error).message}): truncated or corrupt?`,
    );
  }
}

/** The user's graph plus the pooling head on last_hidden_state, outputting `embedding` [batch, H]. */
export function exportToOnnx(
  bytes: Uint8Array,
  file: string,
  hidden: number,
  pooling: Pooling,
  meta: Record<string, string>,
): Uint8Array {
  const model = decodeExport(bytes, file);
  const graph = model.graph;
  if (!graph) throw new Error(`MODEL_BAD_ONNX: ${file} has no graph`);
  const inputs = (graph.input ?? []).map((i) => i.name ?? '');
  const missing = INPUT_NAMES.filter((n) => !inputs.includes(n));
  if (missing.length > 0) throw unsupported(file, `the graph has no input ${missing.join(', ')}`);
  const hiddenOut = (graph.output ?? []).find((o) => o.name === HIDDEN_OUTPUT);
  if (!hiddenOut) {
    throw unsupported(
      file,
      `the graph has no output ${HIDDEN_OUTPUT} (outputs: ${(graph.output ?? []).map((o) => o.name).join(', ')})`,
    );
  }
  const external = (graph.initializer ?? []).find((t) => t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL);
  if (external) throw unsupported(file, `initializer ${external.name} is stored as external data`);
  const opset = (model.opsetImport ?? []).find((o) => (o.domain ?? '') === '');
  const version = opset?.version !== undefined && opset.version !== null ? int64ToNumber(opset.version) : 0;
  if (version < 13) throw unsupported(file, `default-domain opset ${version} is below 13`);
  const taken = new Set<string>(inputs);
  for (const n of graph.node ?? []) for (const o of n.output ?? []) taken.add(o);
  for (const t of graph.initializer ?? []) taken.add(t.name ?? '');
  if (taken.has(OUTPUT_NAME)) {
    // The export uses `embedding` for an inner value (torch names the word-embedding Gather so):
    // rename it in this copy so the new output can carry the name.
    let fresh = `${OUTPUT_NAME}__export`;
    for (let k = 1; taken.has(fresh); k++) fresh = `${OUTPUT_NAME}__export_${k}`;
    if (inputs.includes(OUTPUT_NAME) || (graph.initializer ?? []).some((t) => t.name === OUTPUT_NAME)) {
      throw unsupported(file, `the graph has an input or initializer named ${OUTPUT_NAME}`);
    }
    const swap = (names: string[] | null | undefined): string[] =>
      (names ?? []).map((x) => (x === OUTPUT_NAME ? fresh : x));
    for (const n of graph.node ?? []) {
      n.input = swap(n.input);
      n.output = swap(n.output);
    }
    for (const v of graph.valueInfo ?? []) if (v.name === OUTPUT_NAME) v.name = fresh;
    taken.add(fresh);
  }
  const g = new GraphBuilder(taken);
  const maskF = g.op('/servebench/mask', 'Cast', ['attention_mask'], { to: onnx.TensorProto.DataType.FLOAT });
  poolingHead(g, HIDDEN_OUTPUT, maskF, pooling, version);
  graph.node = [...(graph.node ?? []), ...g.nodes];
  graph.output = [floatOutput(OUTPUT_NAME, ['batch', hidden])];
  model.metadataProps = [
    ...(model.metadataProps ?? []),
    { key: 'servebench.pooling', value: JSON.stringify(pooling) },
    ...Object.entries(meta).map(([key, value]) => ({ key, value })),
  ];
  return onnx.ModelProto.encode(model).finish();
}
