// Minimal HTTP/1.1 keep-alive client on node:net: one request in flight per connection, writing
// pre-serialized requests (http1-wire.ts) and reading replies with its incremental parser.
import net from 'node:net';
import { ResponseParser, type HttpErrorClass, type HttpResponse } from './http1-wire.js';

export type HttpCallback = (err: HttpErrorClass | null, res: HttpResponse | null) => void;

export interface Http1ClientOptions {
  host: string;
  port: number;
  timeoutMs: number;
}

// Errors raised before the TCP handshake completes.
const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * One keep-alive connection with at most one request in flight. Reconnects
 * lazily on the next send after `connection: close`, a socket error or a
 * timeout. The callback runs exactly once per send, synchronously from the
 * socket event that completed it (so the caller can timestamp "last byte").
 */
export class Http1Client {
  private socket: net.Socket | null = null;
  private parser: ResponseParser | null = null;
  private connected = false;
  private cb: HttpCallback | null = null;
  private sentAt = 0;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(private readonly opts: Http1ClientOptions) {}

  get busy(): boolean {
    return this.cb !== null;
  }

  send(req: Buffer, cb: HttpCallback): void {
    if (this.cb) throw new Error('Http1Client: request already in flight');
    if (this.closed) throw new Error('Http1Client: closed');
    this.cb = cb;
    this.sentAt = performance.now();
    if (!this.socket) this.open();
    this.socket!.write(req);
    this.armTimer();
  }

  /** Drop the connection; an in-flight request is abandoned without callback. */
  close(): void {
    this.closed = true;
    this.cb = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.teardown();
  }

  private open(): void {
    const socket = net.connect({ host: this.opts.host, port: this.opts.port, noDelay: true });
    const parser = new ResponseParser((res) => this.onResponse(socket, res));
    this.socket = socket;
    this.parser = parser;
    this.connected = false;
    socket.on('connect', () => {
      if (this.socket === socket) this.connected = true;
    });
    socket.on('data', (chunk: Buffer) => {
      if (this.socket !== socket) return;
      try {
        parser.feed(chunk);
      } catch {
        this.fail('parse');
      }
    });
    socket.on('end', () => {
      if (this.socket !== socket) return;
      // A close-delimited body completes here; otherwise a cut-short response is a reset.
      let complete = false;
      try {
        complete = parser.end();
      } catch {
        this.fail('parse');
        return;
      }
      if (this.socket !== socket) return; // onResponse already tore down
      if (this.cb && !complete) this.fail('reset');
      else this.teardown();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (this.socket !== socket) return;
      const connectErr = !this.connected && (err.code === undefined || CONNECT_CODES.has(err.code));
      this.fail(connectErr ? 'connect' : 'reset');
    });
    socket.on('close', () => {
      if (this.socket !== socket) return;
      if (this.cb) this.fail(this.connected ? 'reset' : 'connect');
      else this.teardown();
    });
  }

  private onResponse(socket: net.Socket, res: HttpResponse): void {
    if (this.socket !== socket) return; // stale bytes from a connection we already dropped
    const cb = this.cb;
    if (!cb) {
      // Bytes nobody asked for: the stream is out of sync, start over.
      this.teardown();
      return;
    }
    this.cb = null;
    if (res.close) this.teardown();
    cb(null, res);
  }

  private fail(cls: HttpErrorClass): void {
    const cb = this.cb;
    this.cb = null;
    this.teardown();
    if (cb) cb(cls, null);
  }

  private teardown(): void {
    const s = this.socket;
    this.socket = null;
    this.parser = null;
    this.connected = false;
    if (s && !s.destroyed) s.destroy();
  }

  // One reusable timer per connection; refresh() is much cheaper than a new setTimeout per request.
  private armTimer(): void {
    if (this.timer) {
      this.timer.refresh();
      return;
    }
    this.timer = setTimeout(() => this.onTimer(), this.opts.timeoutMs);
  }

  private onTimer(): void {
    if (!this.cb) return;
    const left = this.sentAt + this.opts.timeoutMs - performance.now();
    if (left > 0.5) {
      this.timer = setTimeout(() => this.onTimer(), left);
      return;
    }
    this.fail('timeout');
  }
}
