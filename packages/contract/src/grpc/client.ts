import * as grpc from '@grpc/grpc-js';
import { loadServingDefinition, methodPath, type Method } from './proto.js';
import { encodeTextField, forEachField } from './wire.js';

export interface GrpcReply<T> {
  /** grpc.status; 0 is OK. */
  code: number;
  details: string;
  value: T | undefined;
  trailers: grpc.Metadata;
}

export type ServingStatus = 'UNKNOWN' | 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';
const SERVING_STATUS: readonly ServingStatus[] = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'];

interface MethodCodec {
  requestSerialize(v: unknown): Buffer;
  responseDeserialize(b: Buffer): unknown;
}

const raw = (b: Buffer) => b;

/**
 * A small promise client for checks and probes. Every call has a deadline; message sizes are
 * unlimited on this side so the server's own limits are what gets tested.
 */
export class ServingClient {
  private readonly client: grpc.Client;
  private readonly codecs: Record<string, MethodCodec>;

  constructor(readonly target: string) {
    this.client = new grpc.Client(target, grpc.credentials.createInsecure(), {
      'grpc.max_send_message_length': -1,
      'grpc.max_receive_message_length': -1,
    });
    const def = loadServingDefinition()['servebench.v1.Serving'] as unknown as Record<string, MethodCodec>;
    this.codecs = def;
  }

  /** A typed call; a Buffer request is sent as is (for malformed-input cases). */
  call<T>(method: Method | string, request: object | Buffer, opts: { timeoutMs?: number } = {}): Promise<GrpcReply<T>> {
    const codec = this.codecs[method];
    const path = codec ? methodPath(method as Method) : method;
    const serialize = Buffer.isBuffer(request) || !codec ? raw : codec.requestSerialize;
    const deserialize = codec ? (b: Buffer) => codec.responseDeserialize(b) as T : (b: Buffer) => b as unknown as T;
    return this.unary(
      path,
      serialize as (v: object | Buffer) => Buffer,
      deserialize,
      request,
      opts.timeoutMs ?? 30_000,
    );
  }

  /** grpc.health.v1.Health/Check for `service` ('' = the whole server). Rejects on a non-OK status. */
  async health(service = '', timeoutMs = 5_000): Promise<ServingStatus> {
    const req = service ? encodeTextField([service]) : Buffer.alloc(0);
    const r = await this.unary('/grpc.health.v1.Health/Check', raw, raw, req, timeoutMs);
    if (r.code !== grpc.status.OK || !r.value) throw new Error(`health check: ${grpc.status[r.code]} ${r.details}`);
    let status = 0;
    forEachField(r.value, (f, v) => {
      if (f === 1 && typeof v === 'number') status = v;
    });
    return SERVING_STATUS[status] ?? 'UNKNOWN';
  }

  close(): void {
    this.client.close();
  }

  private unary<Req, T>(
    path: string,
    serialize: (v: Req) => Buffer,
    deserialize: (b: Buffer) => T,
    request: Req,
    timeoutMs: number,
  ): Promise<GrpcReply<T>> {
    return new Promise((resolve) => {
      let value: T | undefined;
      const call = this.client.makeUnaryRequest(
        path,
        serialize,
        deserialize,
        request,
        new grpc.Metadata(),
        { deadline: Date.now() + timeoutMs },
        (_err, v) => {
          value = v;
        },
      );
      // 'status' follows the callback and carries the trailers, for successes and failures alike.
      call.on('status', (s: grpc.StatusObject) =>
        resolve({ code: s.code, details: s.details, value, trailers: s.metadata }),
      );
    });
  }
}
