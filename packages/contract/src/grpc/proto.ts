import { fileURLToPath } from 'node:url';
import { loadSync, type Options, type PackageDefinition } from '@grpc/proto-loader';
import type { ReadyResponse } from '../types.js';

/** servebench.proto; src/ and dist/ both sit two levels below the package root, next to proto/. */
export const PROTO_PATH = fileURLToPath(new URL('../../proto/servebench.proto', import.meta.url));
export const SERVICE_NAME = 'servebench.v1.Serving';

/** Trailing metadata keys every gRPC server sets. */
export const METADATA_KEYS = {
  /** Same value as the HTTP Server-Timing header. */
  serverTiming: 'server-timing',
  /** The contract error code (e.g. TEXT_TOO_LONG) of a failed call. */
  errorCode: 'servebench-error-code',
} as const;

export const METHODS = ['HelloWorld', 'Tokenize', 'TokenizeBatch', 'Predict', 'PredictBatch', 'Ready'] as const;
export type Method = (typeof METHODS)[number];
export const methodPath = (m: Method): string => `/${SERVICE_NAME}/${m}`;

/** keepCase so messages use the proto's snake_case names, like the HTTP JSON bodies. */
export const LOADER_OPTIONS: Readonly<Options> = Object.freeze({
  keepCase: true,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
});

/** The package definition of servebench.proto (plus any extra protos, e.g. health for reflection). */
export function loadServingDefinition(extraProtos: string[] = []): PackageDefinition {
  return loadSync([PROTO_PATH, ...extraProtos], LOADER_OPTIONS);
}

export interface HelloReply {
  hello: string;
}
export interface TextRequest {
  text: string;
}
export interface TextsRequest {
  texts: string[];
}
export interface EncodingMessage {
  input_ids: number[];
  attention_mask: number[];
  token_type_ids: number[];
}
export interface TokenizeBatchReply {
  results: EncodingMessage[];
}
export interface PredictReply {
  embedding: number[];
}
export interface PredictBatchReply {
  embeddings: Array<{ values: number[] }>;
}
/** The HTTP /readyz body, with backend_info as a key/value list. */
export interface BatchingMessage {
  max_batch_size: number;
  max_queue_delay_us: number;
  unknown: boolean;
}
export type ReadyReply = Omit<ReadyResponse, 'backend_info' | 'batching'> & {
  backend_info: Array<{ key: string; value: string }>;
  /** Absent from a server built before the field (proto3 message fields are optional on the wire). */
  batching?: BatchingMessage | null;
};

export const readyReply = (r: ReadyResponse): ReadyReply => ({
  ...r,
  backend_info: Object.entries(r.backend_info).map(([key, value]) => ({ key, value })),
  batching:
    r.batching === 'unknown'
      ? { max_batch_size: 0, max_queue_delay_us: 0, unknown: true }
      : { max_batch_size: r.batching.maxBatchSize, max_queue_delay_us: r.batching.maxQueueDelayUs, unknown: false },
});
/** A Ready answer without the batching message gives `batching: undefined` (the runner treats it as unreported). */
export const readyResponse = (r: ReadyReply): ReadyResponse => ({
  ...r,
  backend_info: Object.fromEntries(r.backend_info.map((kv) => [kv.key, kv.value])),
  batching: (!r.batching
    ? undefined
    : r.batching.unknown
      ? 'unknown'
      : {
          maxBatchSize: r.batching.max_batch_size,
          maxQueueDelayUs: r.batching.max_queue_delay_us,
        }) as ReadyResponse['batching'],
});
