// The gRPC side of one worker thread: unary calls as plain HTTP/2 streams (node:http2), one session
// per channel. grpc-js's client spends several times more CPU per call than the server it measures
// (interceptors, resolver and LB layers), which would make every cell client-bound; the wire format
// of a unary call is small: a 5-byte-framed message out, a framed message and grpc-status back.
import http2 from 'node:http2';
import net from 'node:net';
import { isDeepStrictEqual } from 'node:util';
import { status as grpcStatus } from '@grpc/grpc-js';
import { METADATA_KEYS, loadServingDefinition, methodPath } from '@servebench/contract/grpc';
import { closeEnough } from './expect.js';
import type { GrpcWorkerShare } from './grpc-types.js';
import type { Expectation } from './types.js';

interface Codec {
  requestSerialize(v: unknown): Buffer;
  responseSerialize(v: unknown): Buffer;
  responseDeserialize(b: Buffer): unknown;
}

/**
 * A finished call, not yet checked: `cls` is null when the call ended with grpc-status 0 (then `body`
 * holds the unframed reply, or is undefined if it did not parse), else the failure class (grpc_<CODE>,
 * timeout, connect, reset). The caller takes its timestamp first and then calls GrpcPool.verdict, so
 * the reply check stays out of the timed span, as with HTTP.
 */
export interface GrpcReply {
  cls: string | null;
  body?: Buffer;
  serverTiming?: string;
}
export type CallDone = (reply: GrpcReply) => void;

const CONNECT_CODES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'ETIMEDOUT']);

function decodeOr(codec: Codec, body: Buffer): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: codec.responseDeserialize(body) };
  } catch {
    return { ok: false };
  }
}

/** A reply check: byte equality first, the decoded message as a fallback (encoders may order fields differently). */
export function compileGrpcCheck(codec: Codec, e: Expectation): (body: Buffer) => boolean {
  if (e.kind === 'embedding') {
    return (body) => {
      const got = decodeOr(codec, body);
      if (!got.ok) return false;
      const v = (got.value as Record<string, unknown>)[e.field];
      const vectors = e.field === 'embeddings' && Array.isArray(v) ? v.map((x: { values?: unknown }) => x?.values) : v;
      return closeEnough(vectors, e.values, e.tol);
    };
  }
  const want = e.kind === 'exact' ? (JSON.parse(e.body) as unknown) : e.value;
  const bytes = codec.responseSerialize(want);
  const normal = codec.responseDeserialize(bytes); // defaults filled in, like a decoded reply
  return (body) => {
    if (body.equals(bytes)) return true;
    const got = decodeOr(codec, body);
    return got.ok && isDeepStrictEqual(got.value, normal);
  };
}

/** gRPC length-prefixed message: flag byte (0 = uncompressed), big-endian length, bytes. */
const frame = (msg: Buffer): Buffer =>
  Buffer.concat([
    Buffer.from([0, msg.length >>> 24, (msg.length >>> 16) & 255, (msg.length >>> 8) & 255, msg.length & 255]),
    msg,
  ]);

function unframe(chunks: Buffer[]): Buffer | undefined {
  const all = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
  if (all.length < 5 || all[0] !== 0 || all.readUInt32BE(1) !== all.length - 5) return undefined;
  return all.subarray(5);
}

/** One HTTP/2 connection, reopened lazily after it closes. */
class Channel {
  private session: http2.ClientHttp2Session | undefined;
  constructor(
    private readonly origin: string,
    private readonly host: string,
    private readonly port: number,
  ) {}

  get(): http2.ClientHttp2Session {
    if (this.session && !this.session.closed && !this.session.destroyed) return this.session;
    // noDelay: small unary frames must not wait for Nagle.
    const s = http2.connect(this.origin, {
      createConnection: () => net.connect({ host: this.host, port: this.port, noDelay: true }),
    });
    s.on('error', () => {}); // surfaces on the streams
    // After a GOAWAY the session takes no new streams; the next call opens a new connection.
    const drop = () => {
      if (this.session === s) this.session = undefined;
    };
    s.on('goaway', drop);
    s.on('close', drop);
    return (this.session = s);
  }

  connect(timeoutMs: number): Promise<void> {
    const s = this.get();
    if (!s.connecting) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(resolve, timeoutMs);
      const done = () => (clearTimeout(t), resolve());
      s.once('connect', done);
      s.once('close', done);
    });
  }

  close(): void {
    this.session?.destroy();
    this.session = undefined;
  }
}

/** A call in flight on one slot; each slot has at most one, so a slot reuses one timer. */
interface Slot {
  stream: http2.ClientHttp2Stream | null;
  done: CallDone | null;
  sentAt: number;
  timer: NodeJS.Timeout | null;
}

export class GrpcPool {
  private readonly channels: Channel[];
  private readonly headers: http2.OutgoingHttpHeaders[];
  private readonly bodies: Buffer[];
  private readonly checks: Array<(body: Buffer) => boolean>;
  private readonly slots: Slot[] = [];
  private closed = false;

  constructor(private readonly share: GrpcWorkerShare) {
    const codecs = loadServingDefinition()['servebench.v1.Serving'] as unknown as Record<string, Codec>;
    const codec = (m: string) =>
      codecs[m] ??
      (() => {
        throw new Error(`unknown gRPC method ${m}`);
      })();
    // grpc-timeout: the server aborts the work when our deadline passes, as with ghz's --timeout.
    const timeout = `${Math.min(share.timeoutMs, 99_999_999)}m`;
    this.headers = share.requests.map((r) => ({
      ':method': 'POST',
      ':path': methodPath(r.method),
      'content-type': 'application/grpc',
      te: 'trailers',
      'grpc-timeout': timeout,
    }));
    this.bodies = share.requests.map((r) => frame(codec(r.method).requestSerialize(r.message)));
    this.checks = share.requests.map((r, i) => compileGrpcCheck(codec(r.method), share.expect[i]!));
    const bare = share.host.replace(/^\[(.*)\]$/, '$1');
    const origin = `http://${bare.includes(':') ? `[${bare}]` : bare}:${share.port}`;
    this.channels = Array.from({ length: share.channels }, () => new Channel(origin, bare, share.port));
  }

  get size(): number {
    return this.bodies.length;
  }

  /** Connects every channel before the clock starts (as ghz does); a failure shows up later as call errors. */
  async connect(timeoutMs: number): Promise<void> {
    await Promise.all(this.channels.map((c) => c.connect(timeoutMs)));
  }

  /** Sends request i from `slot` (one call at a time per slot) on channel `slot mod channels`. */
  send(i: number, slot: number, done: CallDone): void {
    const s = (this.slots[slot] ??= { stream: null, done: null, sentAt: 0, timer: null });
    const session = this.channels[slot % this.channels.length]!.get();
    let stream: http2.ClientHttp2Stream;
    try {
      stream = session.request(this.headers[i]!, { endStream: false });
    } catch {
      return done({ cls: 'connect' });
    }
    s.stream = stream;
    s.done = done;
    s.sentAt = performance.now();
    this.armTimer(s);
    const chunks: Buffer[] = [];
    let code: string | undefined;
    let serverTiming: string | undefined;
    let contractError = false;
    const meta = (h: http2.IncomingHttpHeaders) => {
      if (h['grpc-status'] === undefined) return;
      code = String(h['grpc-status']);
      const st = h[METADATA_KEYS.serverTiming];
      serverTiming = typeof st === 'string' ? st : undefined;
      contractError = h[METADATA_KEYS.errorCode] !== undefined;
    };
    stream.on('response', meta); // a trailers-only reply carries grpc-status here
    stream.on('trailers', meta);
    stream.on('data', (d: Buffer) => chunks.push(d));
    stream.on('error', (e: NodeJS.ErrnoException) =>
      this.finish(s, stream, CONNECT_CODES.has(e.code ?? '') || session.connecting ? 'connect' : 'reset'),
    );
    stream.on('close', () => {
      if (code === undefined) return this.finish(s, stream, 'reset');
      if (code !== '0') {
        const name = grpcStatus[Number(code)] ?? code;
        // Our own deadline (no contract code) is a client timeout, like the HTTP engine's.
        return this.finish(s, stream, name === 'DEADLINE_EXCEEDED' && !contractError ? 'timeout' : `grpc_${name}`);
      }
      this.finish(s, stream, null, serverTiming, unframe(chunks) ?? undefined);
    });
    stream.end(this.bodies[i]);
  }

  /** null on a verified success, else the class: the reply's own, parse or invalid_body. */
  verdict(i: number, r: GrpcReply): string | null {
    if (r.cls !== null) return r.cls;
    if (!r.body) return 'parse';
    return this.checks[i]!(r.body) ? null : 'invalid_body';
  }

  /** Drops every connection; calls in flight are abandoned without a callback. */
  close(): void {
    this.closed = true;
    for (const s of this.slots) {
      if (s?.timer) clearTimeout(s.timer);
      if (s) s.done = null;
    }
    for (const c of this.channels) c.close();
  }

  private finish(
    s: Slot,
    stream: http2.ClientHttp2Stream,
    cls: string | null,
    serverTiming?: string,
    body?: Buffer,
  ): void {
    if (s.stream !== stream || !s.done || this.closed) return;
    const done = s.done;
    s.stream = null;
    s.done = null;
    done({ cls, body, serverTiming });
  }

  // One reusable timer per slot; refresh() is much cheaper than a new setTimeout per call.
  private armTimer(s: Slot): void {
    if (s.timer) s.timer.refresh();
    else s.timer = setTimeout(() => this.onTimer(s), this.share.timeoutMs);
  }

  private onTimer(s: Slot): void {
    const stream = s.stream;
    if (!stream) return;
    const left = s.sentAt + this.share.timeoutMs - performance.now();
    if (left > 0.5) {
      s.timer = setTimeout(() => this.onTimer(s), left);
      return;
    }
    this.finish(s, stream, 'timeout');
    stream.close(http2.constants.NGHTTP2_CANCEL);
  }
}
