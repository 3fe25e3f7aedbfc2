export type ModelConfigName = 'tiny' | 'mini' | 'small' | 'base';

export interface BertConfig {
  /** A generated config name, or the name of a converted checkpoint. */
  name: string;
  vocabSize: number;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  intermediateSize: number;
  maxPositions: number;
  typeVocabSize: number;
  layerNormEps: number;
}

type Shape = Pick<BertConfig, 'numLayers' | 'hiddenSize' | 'numHeads' | 'intermediateSize'>;

// Shared by every config: bert-base-uncased vocabulary and embedding tables.
function bert(name: ModelConfigName, shape: Shape): BertConfig {
  // Explicit key order (as in BertConfig): it shows up in config.json and ONNX metadata.
  return Object.freeze({
    name,
    vocabSize: 30522,
    hiddenSize: shape.hiddenSize,
    numLayers: shape.numLayers,
    numHeads: shape.numHeads,
    intermediateSize: shape.intermediateSize,
    maxPositions: 512,
    typeVocabSize: 2,
    layerNormEps: 1e-12,
  });
}

export const CONFIGS: Readonly<Record<ModelConfigName, BertConfig>> = Object.freeze({
  tiny: bert('tiny', { numLayers: 2, hiddenSize: 128, numHeads: 2, intermediateSize: 512 }),
  mini: bert('mini', { numLayers: 4, hiddenSize: 256, numHeads: 4, intermediateSize: 1024 }),
  small: bert('small', { numLayers: 4, hiddenSize: 512, numHeads: 8, intermediateSize: 2048 }),
  base: bert('base', { numLayers: 12, hiddenSize: 768, numHeads: 12, intermediateSize: 3072 }),
});

export function isModelConfigName(x: string): x is ModelConfigName {
  return Object.hasOwn(CONFIGS, x);
}

/** Throws MODEL_BAD_CONFIG unless every size is a positive integer and heads divide hidden. */
export function validateConfig(c: BertConfig): void {
  const ints = [
    c.vocabSize,
    c.hiddenSize,
    c.numLayers,
    c.numHeads,
    c.intermediateSize,
    c.maxPositions,
    c.typeVocabSize,
  ];
  if (!ints.every((n) => Number.isSafeInteger(n) && n > 0)) {
    throw new Error(`MODEL_BAD_CONFIG: sizes must be positive integers in config ${JSON.stringify(c)}`);
  }
  if (c.hiddenSize % c.numHeads !== 0) {
    throw new Error(`MODEL_BAD_CONFIG: hiddenSize ${c.hiddenSize} is not divisible by numHeads ${c.numHeads}`);
  }
  if (!(c.layerNormEps > 0)) throw new Error(`MODEL_BAD_CONFIG: layerNormEps must be > 0`);
}

/** Throws MODEL_BAD_SEED unless the seed is a uint32 (the PRNG state size). */
export function validateSeed(seed: number): void {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new Error(`MODEL_BAD_SEED: seed must be an integer in [0, 2^32-1], got ${seed}`);
  }
}
