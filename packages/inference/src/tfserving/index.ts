export { TfServingRestBackend, SIGNATURE } from './rest.js';
export { TfServingGrpcBackend, tfServingServices } from './grpc.js';
