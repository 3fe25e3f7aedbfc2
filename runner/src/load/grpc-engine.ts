// Main-thread side of the gRPC load engine: the same split, start and merge as engine.ts, with
// grpc-worker.ts in the threads. Only verified OK replies count (see grpc-client.ts).
import { METHODS, methodPath } from '@servebench/contract/grpc';
import { runWorkerShares, splitSpec, validateSpec } from './engine.js';
import type { GrpcLoadSpec, GrpcWorkerShare } from './grpc-types.js';
import type { LoadResult, LoadSpec } from './types.js';

export type { GrpcLoadSpec, GrpcRequestTemplate } from './grpc-types.js';

/** The spec as the HTTP engine sees it: a gRPC call is an HTTP/2 POST to its method path. */
const asHttp = (spec: GrpcLoadSpec): LoadSpec => ({
  ...spec,
  requests: spec.requests.map((r) => ({ method: 'POST', path: methodPath(r.method) })),
});

export function validateGrpcSpec(spec: GrpcLoadSpec): void {
  validateSpec(asHttp(spec));
  for (const r of spec.requests) {
    if (!METHODS.includes(r.method) || (r.method as string) === 'Ready')
      throw new Error(`invalid GrpcLoadSpec: method ${String(r.method)}`);
  }
  const ch = spec.channels;
  if (ch !== undefined && !(Number.isInteger(ch) && ch >= 1)) throw new Error(`invalid GrpcLoadSpec: channels ${ch}`);
}

/** The HTTP engine's split (in-flight calls, rate, maxRequests, seeds), plus channels per thread. */
export function splitGrpcSpec(spec: GrpcLoadSpec): GrpcWorkerShare[] {
  const shares = splitSpec(asHttp(spec));
  const channels = Math.max(spec.channels ?? shares.length, shares.length);
  return shares.map(({ requests: _r, ...s }, i) => ({
    ...s,
    requests: spec.requests,
    channels: Math.min(s.connections, Math.floor(channels / shares.length) + (i < channels % shares.length ? 1 : 0)),
  }));
}

/** Runs unary calls closed- or open-loop over `channels` HTTP/2 connections, in worker threads. */
export async function runGrpcLoad(spec: GrpcLoadSpec): Promise<LoadResult> {
  validateGrpcSpec(spec);
  // Start-up includes connecting every channel (grpc-worker.ts allows 10 s) and, from TS sources, tsx.
  return runWorkerShares(
    new URL('./grpc-worker.js', import.meta.url),
    splitGrpcSpec(spec),
    asHttp(spec),
    'gRPC load',
    40_000,
  );
}
