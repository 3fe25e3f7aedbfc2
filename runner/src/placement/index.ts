export * from './cpus.js';
export * from './affinity.js';
export * from './apply.js';
