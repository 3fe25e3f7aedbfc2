import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { BackendError } from '../backend.js';

/** packages/inference/proto, the same relative path from src/triton and dist/triton. */
export const PROTO_DIR = fileURLToPath(new URL('../../proto', import.meta.url));

const LOADER: protoLoader.Options = {
  keepCase: true,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_DIR],
};

/** Loads .proto files (relative to PROTO_DIR) into a grpc-js package definition. */
export function loadProto(...files: string[]): grpc.GrpcObject {
  return grpc.loadPackageDefinition(protoLoader.loadSync(files, LOADER));
}

/** Follows a dotted name such as `inference.GRPCInferenceService` in a loaded package. */
export function serviceCtor(pkg: grpc.GrpcObject, name: string): grpc.ServiceClientConstructor {
  let node: unknown = pkg;
  for (const part of name.split('.')) node = (node as Record<string, unknown>)[part];
  if (typeof node !== 'function') throw new Error(`${name} is not in the loaded protos`);
  return node as grpc.ServiceClientConstructor;
}

export interface GrpcPoolOptions {
  label: string;
  connections: number;
  keepAliveMs: number;
}

type Unary = (
  req: unknown,
  md: grpc.Metadata,
  opts: grpc.CallOptions,
  cb: (e: grpc.ServiceError | null, res?: unknown) => void,
) => grpc.ClientUnaryCall;

/**
 * `connections` clients of one service, each on its own channel and HTTP/2 connection
 * (a local subchannel pool stops grpc-js from sharing one), used round-robin.
 */
export class GrpcPool {
  private readonly clients: grpc.Client[];
  private next = 0;

  constructor(
    ctor: grpc.ServiceClientConstructor,
    readonly target: string,
    private readonly o: GrpcPoolOptions,
  ) {
    const options: grpc.ChannelOptions = {
      'grpc.use_local_subchannel_pool': 1,
      'grpc.max_receive_message_length': 256 * 1024 * 1024,
      'grpc.max_send_message_length': 256 * 1024 * 1024,
      // Pings only while calls are open: servers (Triton, TF Serving) send GOAWAY on idle pings.
      ...(o.keepAliveMs > 0
        ? {
            'grpc.keepalive_time_ms': o.keepAliveMs,
            'grpc.keepalive_timeout_ms': 20_000,
            'grpc.keepalive_permit_without_calls': 0,
          }
        : {}),
    };
    this.clients = Array.from(
      { length: o.connections },
      () => new ctor(target, grpc.credentials.createInsecure(), options),
    );
  }

  /** One unary call with a deadline; every failure is a BackendError naming the server. */
  call<Res>(method: string, req: unknown, timeoutMs: number, signal?: AbortSignal): Promise<Res> {
    const client = this.clients[this.next++ % this.clients.length]!;
    const fn = (client as unknown as Record<string, Unary>)[method];
    if (!fn) throw new Error(`no method ${method}`);
    if (signal?.aborted)
      return Promise.reject(
        new BackendError('BACKEND_TIMEOUT', `request was cancelled before it reached ${this.o.label}`),
      );
    return new Promise<Res>((resolve, reject) => {
      const onAbort = () => call.cancel();
      const call = fn.call(client, req, new grpc.Metadata(), { deadline: Date.now() + timeoutMs }, (e, res) => {
        signal?.removeEventListener('abort', onAbort);
        if (e) reject(grpcError(this.o.label, e, timeoutMs));
        else resolve(res as Res);
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  close(): void {
    for (const c of this.clients) c.close();
  }
}

/** gRPC status -> BackendError: UNAVAILABLE 503, DEADLINE_EXCEEDED and CANCELLED 504, the rest 502. */
export function grpcError(label: string, e: grpc.ServiceError, timeoutMs: number): BackendError {
  const s = grpc.status;
  const what = `${s[e.code] ?? e.code}: ${e.details || e.message}`;
  switch (e.code) {
    case s.UNAVAILABLE:
      return new BackendError(
        'BACKEND_UNAVAILABLE',
        `${label} is unreachable or unavailable (${what}); is the model server running?`,
        { cause: e },
      );
    case s.DEADLINE_EXCEEDED:
      return new BackendError(
        'BACKEND_TIMEOUT',
        `${label} did not answer within ${timeoutMs} ms (MODEL_SERVER_TIMEOUT_MS)`,
        { cause: e },
      );
    case s.CANCELLED:
      return new BackendError('BACKEND_TIMEOUT', `request was cancelled while waiting for ${label}`, { cause: e });
    case s.RESOURCE_EXHAUSTED:
      return new BackendError('BACKEND_UNAVAILABLE', `${label} is overloaded or the message is too large (${what})`, {
        cause: e,
      });
    default:
      return new BackendError('BAD_BACKEND_RESPONSE', `${label} failed the call (${what})`, { cause: e });
  }
}

/** `host:port` for grpc-js from `host:port`, `grpc://host:port` or `http://host:port`. */
export function grpcTarget(url: string, fallback: string): string {
  const u = url || fallback;
  const m = /^(?:[a-z]+:\/\/)?([^/]+?)\/?$/.exec(u);
  if (!m?.[1] || !/:\d+$/.test(m[1]))
    throw new BackendError('BACKEND_CONFIG', `MODEL_SERVER_URL=${u} is invalid for gRPC: expected host:port`);
  return m[1];
}
