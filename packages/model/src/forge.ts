import { validateConfig, validateSeed, type BertConfig } from './configs.js';
import { buildGraph, IR_VERSION, OPSET } from './graph.js';
import { float32FromLE, int64ToNumber, onnx, type IModelProto } from './onnx.js';
import { generateWeights } from './weights.js';

export const GENERATOR_NAME = 'servebench-model-forge';
/** Bump whenever the bytes for a given (config, seed) change, so cached models get rebuilt. */
export const GENERATOR_VERSION = 1;

/** Deterministic ONNX bytes of a randomly initialised BERT encoder with masked-mean pooling. */
export function forgeOnnx(config: BertConfig, seed: number): Uint8Array {
  validateConfig(config);
  validateSeed(seed);
  const model: IModelProto = {
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET }],
    producerName: GENERATOR_NAME,
    producerVersion: String(GENERATOR_VERSION),
    docString: `Random BERT (${config.name}, seed ${seed}) with masked-mean pooled output; dense weights are [in, out].`,
    graph: buildGraph(config, generateWeights(config, seed)),
    metadataProps: [
      { key: 'servebench.config', value: JSON.stringify(config) },
      { key: 'servebench.seed', value: String(seed) },
    ],
  };
  return onnx.ModelProto.encode(model).finish();
}

/** Float32 initializers by name, e.g. to load the same weights into another backend. */
export function readOnnxWeights(onnxBytes: Uint8Array): Map<string, { dims: number[]; data: Float32Array }> {
  const model = onnx.ModelProto.decode(onnxBytes);
  const out = new Map<string, { dims: number[]; data: Float32Array }>();
  for (const t of model.graph?.initializer ?? []) {
    if (t.dataType !== onnx.TensorProto.DataType.FLOAT || !t.name) continue;
    const dims = (t.dims ?? []).map(int64ToNumber);
    const data = t.rawData && t.rawData.length > 0 ? float32FromLE(t.rawData) : Float32Array.from(t.floatData ?? []);
    const expected = dims.reduce((a, b) => a * b, 1);
    if (data.length !== expected) {
      throw new Error(`MODEL_BAD_ONNX: initializer ${t.name} has ${data.length} values, dims ${JSON.stringify(dims)}`);
    }
    out.set(t.name, { dims, data });
  }
  return out;
}
