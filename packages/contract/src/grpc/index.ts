// The gRPC flavour of the contract: '@servebench/contract/grpc'. Kept out of the main entry so
// HTTP-only users never load grpc-js.
export * from './proto.js';
export * from './wire.js';
export * from './target.js';
export { ServingClient, type GrpcReply, type ServingStatus } from './client.js';
export {
  GRPC_CHECKS,
  expectGrpcError,
  fetchGrpcReady,
  runGrpcConformance,
  type GrpcCheck,
  type GrpcConformanceContext,
} from './checks.js';
export {
  GRPC_ABUSE_PARTS,
  GRPC_FUZZ,
  expectFor,
  grpcAbuseCases,
  referenceTokenizer,
  runGrpcAbuse,
  runGrpcAbusePart,
  type Expect,
  type GrpcAbuseCase,
  type GrpcAbuseContext,
  type GrpcAbusePart,
  type GrpcAbuseTally,
} from './abuse.js';
export { RawGrpcConnection, frame, grpcHeaders, type RawAnswer } from './raw.js';
