// Public surface of the load engine for the orchestration/CLI.
export { runLoad, splitSpec, validateSpec } from './engine.js';
export { runWrk, parseWrkOutput, wrkAvailable, type WrkOptions, type WrkResult } from './wrk.js';
export { isLoopbackHost, assertLoopbackHost } from './loopback.js';
export { scheduleOffsets } from './schedule.js';
export type * from './types.js';
