export * from './vocab.js';
export { CONFIGS, isModelConfigName, type BertConfig, type ModelConfigName } from './configs.js';
export { forgeOnnx, readOnnxWeights, GENERATOR_NAME, GENERATOR_VERSION } from './forge.js';
export { INPUT_NAMES, OUTPUT_NAME, OPSET, IR_VERSION, MEAN_POOLING, type Pooling } from './graph.js';
export { defaultModelsRoot, ensureModel, type ModelFiles, type ModelManifest } from './files.js';
export { UNCASED, type TokenizerSettings } from './real/hf.js';
export {
  isModelSpec,
  isNamedModel,
  MODEL_CHOICES,
  NAMED_MODELS,
  type ConvertedManifest,
  type ModelSource,
} from './real/resolve.js';
export { readSafetensors, writeSafetensors } from './real/safetensors.js';
export { parameterCount } from './weights.js';
export { mulberry32, mulberry32Unit } from './prng.js';
export * from './repos/index.js';
