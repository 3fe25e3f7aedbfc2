export { TfjsBackend, TFJS_BACKEND_IDS, type TfjsBackendId, type TfjsOptions } from './backend.js';
export { TFJS_RUNTIMES, type TfjsRuntimeId } from './runtime.js';
