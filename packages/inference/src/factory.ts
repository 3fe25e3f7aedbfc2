import type { Backend } from './backend.js';
import { BackendError } from './backend.js';
import { OrtBackend, type Device } from './ort.js';
import { TFJS_BACKEND_IDS, TfjsBackend } from './tfjs/index.js';

export const BACKEND_IDS = ['ort', ...TFJS_BACKEND_IDS] as const;
export type BackendId = (typeof BACKEND_IDS)[number];

export interface BackendOptions {
  backend: string;
  modelPath: string;
  device: Device;
  intraOpThreads: number;
  interOpThreads: number;
}

/** The one place that maps a backend id from configuration to an implementation. */
export function createBackend(o: BackendOptions): Backend {
  switch (o.backend) {
    case 'ort':
      return new OrtBackend(o);
    case 'tfjs':
    case 'tfjs-wasm':
    case 'tfjs-node':
    case 'tfjs-node-gpu':
      return new TfjsBackend({ ...o, backend: o.backend });
    default:
      throw new BackendError('BACKEND_CONFIG', `unknown backend "${o.backend}"; available: ${BACKEND_IDS.join(', ')}`);
  }
}
