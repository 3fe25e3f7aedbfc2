import { validateConfig, validateSeed, type BertConfig } from './configs.js';
import { fillUniform, streamFor } from './prng.js';

/** BERT's initializer_range: std of embeddings, dense kernels and biases. */
const INIT_STD = 0.02;

export type WeightKind = 'noise' | 'gamma' | 'beta';

export interface WeightSpec {
  name: string;
  dims: number[];
  kind: WeightKind;
}

export interface Weight {
  name: string;
  dims: number[];
  data: Float32Array;
}

/**
 * Every initializer of the forged model, in graph order, with HF BertModel names.
 *
 * Layout: embedding tables are [rows, hidden]. Dense kernels `*.weight` are stored [in, out]
 * (the transpose of torch.nn.Linear's [out, in]) so `x @ W + b` is a plain MatMul + Add, and so
 * they load directly as TensorFlow Dense kernels. LayerNorm `weight` is gamma, `bias` is beta.
 * Gamma is 1 + small noise and beta/biases small noise (not 1/0) so tests would catch a swap.
 */
export function weightSpecs(c: BertConfig): WeightSpec[] {
  const H = c.hiddenSize;
  const I = c.intermediateSize;
  const dense = (p: string, i: number, o: number): WeightSpec[] => [
    { name: `${p}.weight`, dims: [i, o], kind: 'noise' },
    { name: `${p}.bias`, dims: [o], kind: 'noise' },
  ];
  const layerNorm = (p: string): WeightSpec[] => [
    { name: `${p}.weight`, dims: [H], kind: 'gamma' },
    { name: `${p}.bias`, dims: [H], kind: 'beta' },
  ];
  const specs: WeightSpec[] = [
    { name: 'embeddings.word_embeddings.weight', dims: [c.vocabSize, H], kind: 'noise' },
    { name: 'embeddings.position_embeddings.weight', dims: [c.maxPositions, H], kind: 'noise' },
    { name: 'embeddings.token_type_embeddings.weight', dims: [c.typeVocabSize, H], kind: 'noise' },
    ...layerNorm('embeddings.LayerNorm'),
  ];
  for (let l = 0; l < c.numLayers; l++) {
    const p = `encoder.layer.${l}`;
    specs.push(
      ...dense(`${p}.attention.self.query`, H, H),
      ...dense(`${p}.attention.self.key`, H, H),
      ...dense(`${p}.attention.self.value`, H, H),
      ...dense(`${p}.attention.output.dense`, H, H),
      ...layerNorm(`${p}.attention.output.LayerNorm`),
      ...dense(`${p}.intermediate.dense`, H, I),
      ...dense(`${p}.output.dense`, I, H),
      ...layerNorm(`${p}.output.LayerNorm`),
    );
  }
  return specs;
}

/** Values of one initializer; depends only on (seed, spec.name, size). */
export function generateWeight(spec: WeightSpec, seed: number): Weight {
  const size = spec.dims.reduce((a, b) => a * b, 1);
  const data = new Float32Array(size);
  const next = streamFor(seed, spec.name);
  fillUniform(data, next, INIT_STD, spec.kind === 'gamma' ? 1 : 0);
  return { name: spec.name, dims: [...spec.dims], data };
}

export function generateWeights(c: BertConfig, seed: number): Weight[] {
  validateConfig(c);
  validateSeed(seed);
  return weightSpecs(c).map((s) => generateWeight(s, seed));
}

export function parameterCount(c: BertConfig): number {
  return weightSpecs(c).reduce((n, s) => n + s.dims.reduce((a, b) => a * b, 1), 0);
}
