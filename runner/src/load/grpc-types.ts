// Plain-JSON types of the gRPC load engine. Same LoadSpec/LoadResult shapes as the HTTP engine,
// with gRPC calls in place of HTTP request templates.
import type { Method } from '@servebench/contract/grpc';
import type { LoadSpec } from './types.js';

/** One unary call of servebench.v1.Serving: the method and its request message (proto field names). */
export interface GrpcRequestTemplate {
  method: Exclude<Method, 'Ready'>;
  message: Record<string, unknown>;
}

/**
 * `requests[i]` is checked against `expect[i]`, decoded with the proto: `exact`/`json` compare the
 * whole reply message, `embedding` compares `embedding` (Predict) or `embeddings` (PredictBatch).
 */
export interface GrpcLoadSpec extends Omit<LoadSpec, 'requests'> {
  requests: GrpcRequestTemplate[];
  /** HTTP/2 connections (grpc-js channels), shared by the in-flight calls; default one per thread. */
  channels?: number;
}

/** One worker thread's share. `connections` is the number of calls in flight (closed) or their cap (open). */
export interface GrpcWorkerShare extends Omit<
  GrpcLoadSpec,
  'concurrency' | 'threads' | 'rate' | 'arrivals' | 'seed' | 'channels'
> {
  connections: number;
  channels: number;
  rate?: number;
  arrivals: 'fixed' | 'poisson';
  seed: number;
}
