export * from './config.js';
export * from './metrics.js';
export * from './service.js';
export * from './main.js';
export * from './body.js';
export * from './close.js';
export * from './http.js';
export { serverTiming } from '@servebench/inference';
