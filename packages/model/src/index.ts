export * from './vocab.js';
export { CONFIGS, isModelConfigName, type BertConfig, type ModelConfigName } from './configs.js';
export { forgeOnnx, readOnnxWeights, GENERATOR_NAME, GENERATOR_VERSION } from './forge.js';
export { INPUT_NAMES, OUTPUT_NAME, OPSET, IR_VERSION } from './graph.js';
export { defaultModelsRoot, ensureModel, type ModelFiles, type ModelManifest } from './files.js';
export * from './repos/index.js';
