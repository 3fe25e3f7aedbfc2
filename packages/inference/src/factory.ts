import type { Backend } from './backend.js';
import { BackendError } from './backend.js';
import type { ModelThread } from './model-thread.js';
import { OrtBackend, type Device } from './ort.js';
import { TFJS_BACKEND_IDS, TfjsBackend } from './tfjs/index.js';
import {
  MODEL_SERVER_BACKEND_IDS,
  TfServingGrpcBackend,
  TfServingRestBackend,
  TritonGrpcBackend,
  TritonHttpBackend,
  type ModelServerOptions,
} from './triton/index.js';

export const BACKEND_IDS = ['ort', ...TFJS_BACKEND_IDS, ...MODEL_SERVER_BACKEND_IDS] as const;
export type BackendId = (typeof BACKEND_IDS)[number];

export interface BackendOptions {
  backend: string;
  modelPath: string;
  device: Device;
  intraOpThreads: number;
  interOpThreads: number;
  /** In-process backends (ort, tfjs*): run the model on its own thread (default) or on the event loop's. */
  modelThread?: ModelThread;
  /** For the proxy backends (triton-*, tfserving-*): where the model server is and how to call it. */
  modelServer?: Partial<ModelServerOptions>;
}

/** The one place that maps a backend id from configuration to an implementation. */
export function createBackend(o: BackendOptions): Backend {
  switch (o.backend) {
    case 'ort':
      return new OrtBackend({ ...o, thread: o.modelThread });
    case 'tfjs':
    case 'tfjs-wasm':
    case 'tfjs-node':
    case 'tfjs-node-gpu':
      return new TfjsBackend({ ...o, backend: o.backend, thread: o.modelThread });
    case 'triton-http':
      return new TritonHttpBackend(o.modelServer ?? {});
    case 'triton-grpc':
      return new TritonGrpcBackend(o.modelServer ?? {});
    case 'tfserving-rest':
      return new TfServingRestBackend(o.modelServer ?? {});
    case 'tfserving-grpc':
      return new TfServingGrpcBackend(o.modelServer ?? {});
    default:
      throw new BackendError('BACKEND_CONFIG', `unknown backend "${o.backend}"; available: ${BACKEND_IDS.join(', ')}`);
  }
}
