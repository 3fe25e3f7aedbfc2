export * from './cpus.js';
export * from './affinity.js';
