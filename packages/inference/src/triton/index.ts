export { TritonHttpBackend, type ServerMetadata } from './http.js';
export { TritonGrpcBackend, tritonService } from './grpc.js';
export { MODEL_SERVER_DEFAULTS, modelServerOptions, type ModelServerOptions } from './remote.js';
export { PROTO_DIR, loadProto } from './grpc-pool.js';
export { TfServingRestBackend, TfServingGrpcBackend, tfServingServices } from '../tfserving/index.js';

/** Backend ids that proxy to a model server, in the order the factory lists them. */
export const MODEL_SERVER_BACKEND_IDS = ['triton-http', 'triton-grpc', 'tfserving-rest', 'tfserving-grpc'] as const;
export type ModelServerBackendId = (typeof MODEL_SERVER_BACKEND_IDS)[number];
