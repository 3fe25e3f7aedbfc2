export * from './backend.js';
export * from './batch.js';
export * from './batcher.js';
export * from './ort.js';
export * from './queue.js';
export * from './pipeline.js';
export * from './factory.js';
export * from './tokenizer/index.js';
