import { connect, constants, type ClientHttp2Session, type IncomingHttpHeaders } from 'node:http2';

// A bare HTTP/2 gRPC caller for wire-level abuse cases: the caller controls the request headers and
// every DATA byte (length prefix, compressed flag), which grpc-js's client never lets one get wrong.

/** What came back for one raw call. `grpcStatus` is undefined when the server sent no grpc-status. */
export interface RawAnswer {
  httpStatus: number;
  grpcStatus: number | undefined;
  /** grpc-message, percent-decoded. */
  message: string;
  /** Response headers and trailers, merged (trailers win). */
  headers: Record<string, string>;
  /** The DATA bytes of the response (length-prefixed messages). */
  data: Buffer;
  /** Set when the stream or session failed before a status (reset, GOAWAY, refused, timeout). */
  transportError?: string;
}

/** A gRPC length-prefixed message: flag byte, 4-byte big-endian length, payload. */
export function frame(message: Uint8Array, opts: { compressed?: boolean; length?: number } = {}): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt8(opts.compressed ? 1 : 0, 0);
  head.writeUInt32BE(opts.length ?? message.length, 1);
  return Buffer.concat([head, message]);
}

/** The headers grpc-js's client sends; a `null` value in `overrides` leaves that header out. */
export function grpcHeaders(path: string, overrides: Record<string, string | null> = {}): Record<string, string> {
  const base: Record<string, string | null> = {
    [constants.HTTP2_HEADER_METHOD]: 'POST',
    [constants.HTTP2_HEADER_PATH]: path,
    'content-type': 'application/grpc',
    te: 'trailers',
    ...overrides,
  };
  return Object.fromEntries(Object.entries(base).filter((e): e is [string, string] => e[1] !== null));
}

const flat = (h: IncomingHttpHeaders, into: Record<string, string>) => {
  for (const [k, v] of Object.entries(h)) if (v !== undefined) into[k] = Array.isArray(v) ? v.join(', ') : String(v);
};

function decodeMessage(m: string | undefined): string {
  if (m === undefined) return '';
  try {
    return decodeURIComponent(m);
  } catch {
    return m;
  }
}

/**
 * One HTTP/2 connection to a gRPC server on loopback, reused across calls and reopened when the
 * server closed it. Every call is bounded by a timeout.
 */
export class RawGrpcConnection {
  private session: ClientHttp2Session | undefined;

  constructor(private readonly target: string) {}

  private open(): ClientHttp2Session {
    if (!this.session || this.session.closed || this.session.destroyed) {
      // A 10 MB request is queued whole: above Node's default 10 MB session memory the client itself
      // would give up with ENHANCE_YOUR_CALM before the server's answer arrives.
      const s = connect(`http://${this.target}`, { maxSessionMemory: 64 });
      // Session errors surface on the streams; without a listener they would be thrown.
      s.on('error', () => undefined);
      s.unref();
      this.session = s;
    }
    return this.session;
  }

  /** Sends `headers` and `body` (already framed) and half-closes; resolves with whatever came back. */
  call(headers: Record<string, string>, body: Uint8Array, timeoutMs = 15_000): Promise<RawAnswer> {
    return new Promise((resolve) => {
      const out: Record<string, string> = {};
      const chunks: Buffer[] = [];
      let httpStatus = 0;
      let settled = false;
      const finish = (transportError?: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        const s = out['grpc-status'];
        resolve({
          httpStatus,
          grpcStatus: s === undefined ? undefined : Number(s),
          message: decodeMessage(out['grpc-message']),
          headers: out,
          data: Buffer.concat(chunks),
          ...(transportError && s === undefined ? { transportError } : {}),
        });
      };
      const timer = setTimeout(() => {
        req?.close(constants.NGHTTP2_CANCEL);
        finish(`no answer within ${timeoutMs} ms`);
      }, timeoutMs);
      let req: ReturnType<ClientHttp2Session['request']> | undefined;
      try {
        req = this.open().request(headers, { endStream: false });
      } catch (e) {
        finish(`request failed: ${(e as Error).message}`);
        return;
      }
      req.on('response', (h) => {
        httpStatus = Number(h[constants.HTTP2_HEADER_STATUS] ?? 0);
        flat(h, out);
      });
      req.on('trailers', (h) => flat(h, out));
      req.on('data', (d: Buffer) => chunks.push(d));
      req.on('error', (e: Error) => finish(`stream error: ${e.message}`));
      req.on('close', () => finish(req!.rstCode ? `stream reset with code ${req!.rstCode}` : undefined));
      // The server may answer and reset before the whole body is written (e.g. over the size limit).
      req.end(Buffer.from(body));
    });
  }

  close(): void {
    this.session?.close();
    this.session = undefined;
  }
}
