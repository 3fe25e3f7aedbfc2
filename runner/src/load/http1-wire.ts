// HTTP/1.1 wire format for the load engine: requests serialized once, and an incremental response
// parser that only extracts what the benchmark needs (status, length, Server-Timing, close, body).

export type HttpErrorClass = 'timeout' | 'connect' | 'reset' | 'parse';

export interface HttpRequestInit {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface HttpResponse {
  status: number;
  /** Declared Content-Length, or null (chunked / close-delimited / absent). */
  contentLength: number | null;
  /** Raw `server-timing` header value (several headers joined with ", "). */
  serverTiming: string | undefined;
  /** Server asked to close (or HTTP/1.0 without keep-alive). */
  close: boolean;
  body: Buffer;
}

/** Serialize once; the load loop writes the same Buffer for every send. */
export function buildRequest(req: HttpRequestInit, host: string): Buffer {
  const body = req.body === undefined ? undefined : Buffer.from(req.body, 'utf8');
  const lines = [`${req.method} ${req.path} HTTP/1.1`, `Host: ${host}`];
  const given = new Set<string>();
  for (const [k, v] of Object.entries(req.headers ?? {})) {
    const lk = k.toLowerCase();
    // We own framing and connection management.
    if (lk === 'content-length' || lk === 'connection' || lk === 'host' || lk === 'transfer-encoding') continue;
    if (/[\r\n]/.test(k) || /[\r\n]/.test(v)) throw new Error(`header ${k} contains CR/LF`);
    given.add(lk);
    lines.push(`${k}: ${v}`);
  }
  // The benchmarked APIs are JSON; a body without a type is almost always a mistake.
  if (body && !given.has('content-type')) lines.push('Content-Type: application/json');
  if (body || req.method !== 'GET') lines.push(`Content-Length: ${body ? body.length : 0}`);
  lines.push('Connection: keep-alive', '', '');
  const head = Buffer.from(lines.join('\r\n'), 'latin1');
  return body ? Buffer.concat([head, body]) : head;
}

export class HttpParseError extends Error {}

const CRLF = Buffer.from('\r\n');
const CRLFCRLF = Buffer.from('\r\n\r\n');
const MAX_HEAD = 64 * 1024;
const MAX_LINE = 8 * 1024;
const STATUS_LINE = /^HTTP\/1\.([01]) (\d{3})(?: |$)/;
/** Lengths of the header names parseHead reads: content-length, transfer-encoding, connection, server-timing. */
const WANTED_LENGTHS = new Set([14, 17, 10, 13]);

enum St {
  Head,
  BodyLen,
  BodyEof,
  ChunkSize,
  ChunkData,
  ChunkDataEnd,
  Trailers,
}

/**
 * Incremental response parser. feed() may be called with any split of the
 * byte stream; each complete response is passed to onResponse in order.
 * Throws HttpParseError on malformed input.
 */
export class ResponseParser {
  private st: St = St.Head;
  private pend: Buffer | null = null; // unconsumed bytes while looking for a delimiter
  private remaining = 0;
  private parts: Buffer[] = [];
  private cur: Omit<HttpResponse, 'body'> | null = null;

  constructor(private readonly onResponse: (res: HttpResponse) => void) {}

  /** True when no response is partially received. */
  get idle(): boolean {
    return this.st === St.Head && (this.pend === null || this.pend.length === 0);
  }

  /** Socket EOF: completes a close-delimited body; returns false if a response was cut short. */
  end(): boolean {
    if (this.st === St.BodyEof) {
      this.finish();
      return true;
    }
    return this.idle;
  }

  feed(chunk: Buffer): void {
    const buf = this.pend && this.pend.length > 0 ? Buffer.concat([this.pend, chunk]) : chunk;
    this.pend = null;
    let off = 0;
    while (off < buf.length) {
      switch (this.st) {
        case St.Head: {
          const idx = buf.indexOf(CRLFCRLF, off);
          if (idx < 0) {
            if (buf.length - off > MAX_HEAD) throw new HttpParseError('response head too large');
            this.pend = buf.subarray(off);
            return;
          }
          this.parseHead(buf.toString('latin1', off, idx));
          off = idx + 4;
          break;
        }
        case St.BodyLen: {
          const n = Math.min(this.remaining, buf.length - off);
          this.parts.push(buf.subarray(off, off + n));
          off += n;
          this.remaining -= n;
          if (this.remaining === 0) this.finish();
          break;
        }
        case St.BodyEof:
          this.parts.push(buf.subarray(off));
          off = buf.length;
          break;
        case St.ChunkSize: {
          const idx = buf.indexOf(CRLF, off);
          if (idx < 0) {
            if (buf.length - off > MAX_LINE) throw new HttpParseError('chunk size line too long');
            this.pend = buf.subarray(off);
            return;
          }
          const line = buf.toString('latin1', off, idx);
          const semi = line.indexOf(';'); // chunk extensions are ignored
          const hex = (semi < 0 ? line : line.slice(0, semi)).trim();
          if (!/^[0-9a-fA-F]{1,12}$/.test(hex)) throw new HttpParseError(`bad chunk size ${JSON.stringify(hex)}`);
          this.remaining = parseInt(hex, 16);
          off = idx + 2;
          this.st = this.remaining === 0 ? St.Trailers : St.ChunkData;
          break;
        }
        case St.ChunkData: {
          const n = Math.min(this.remaining, buf.length - off);
          this.parts.push(buf.subarray(off, off + n));
          off += n;
          this.remaining -= n;
          if (this.remaining === 0) this.st = St.ChunkDataEnd;
          break;
        }
        case St.ChunkDataEnd: {
          if (buf.length - off < 2) {
            this.pend = buf.subarray(off);
            return;
          }
          if (buf[off] !== 13 || buf[off + 1] !== 10) throw new HttpParseError('missing CRLF after chunk');
          off += 2;
          this.st = St.ChunkSize;
          break;
        }
        case St.Trailers: {
          const idx = buf.indexOf(CRLF, off);
          if (idx < 0) {
            if (buf.length - off > MAX_HEAD) throw new HttpParseError('trailers too large');
            this.pend = buf.subarray(off);
            return;
          }
          // An empty line ends the trailer section; other lines are trailers we ignore.
          const empty = idx === off;
          off = idx + 2;
          if (empty) this.finish();
          break;
        }
      }
    }
  }

  private parseHead(head: string): void {
    const eol = head.indexOf('\r\n');
    const statusLine = eol < 0 ? head : head.slice(0, eol);
    const m = STATUS_LINE.exec(statusLine);
    if (!m) throw new HttpParseError(`bad status line ${JSON.stringify(statusLine.slice(0, 80))}`);
    const http10 = m[1] === '0';
    const status = Number(m[2]);
    let contentLength: number | null = null;
    let chunked = false;
    let close = http10;
    let serverTiming: string | undefined;
    // Header by header without splitting the head: only the four names below are read, and a name
    // is lower-cased only when its length matches one of them (most headers are skipped unsliced).
    for (let at = eol < 0 ? head.length : eol + 2; at < head.length;) {
      let end = head.indexOf('\r\n', at);
      if (end < 0) end = head.length;
      const c = head.indexOf(':', at);
      if (c <= at || c > end)
        throw new HttpParseError(`bad header line ${JSON.stringify(head.slice(at, Math.min(end, at + 80)))}`);
      const name = WANTED_LENGTHS.has(c - at) ? head.slice(at, c).toLowerCase() : '';
      if (name === 'content-length') {
        const value = head.slice(c + 1, end).trim();
        if (!/^\d+$/.test(value)) throw new HttpParseError(`bad content-length ${JSON.stringify(value)}`);
        const n = Number(value);
        if (contentLength !== null && contentLength !== n) throw new HttpParseError('conflicting content-length');
        contentLength = n;
      } else if (name === 'transfer-encoding') {
        chunked = head
          .slice(c + 1, end)
          .toLowerCase()
          .split(',')
          .some((t) => t.trim() === 'chunked');
      } else if (name === 'connection') {
        const tokens = head
          .slice(c + 1, end)
          .toLowerCase()
          .split(',')
          .map((t) => t.trim());
        if (tokens.includes('close')) close = true;
        else if (tokens.includes('keep-alive')) close = false;
      } else if (name === 'server-timing') {
        const value = head.slice(c + 1, end).trim();
        serverTiming = serverTiming === undefined ? value : `${serverTiming}, ${value}`;
      }
      at = end + 2;
    }
    if (status >= 100 && status < 200) return; // interim response (e.g. 100 Continue): wait for the real one
    this.cur = { status, contentLength, serverTiming, close };
    this.parts = [];
    if (status === 204 || status === 304) this.finish();
    else if (chunked) this.st = St.ChunkSize;
    else if (contentLength !== null) {
      this.remaining = contentLength;
      if (contentLength === 0) this.finish();
      else this.st = St.BodyLen;
    } else {
      // No framing: body runs until the server closes the connection.
      this.cur.close = true;
      this.st = St.BodyEof;
    }
  }

  private finish(): void {
    const cur = this.cur!;
    const parts = this.parts;
    const body = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    this.cur = null;
    this.parts = [];
    this.st = St.Head;
    this.onResponse({
      status: cur.status,
      contentLength: cur.contentLength,
      serverTiming: cur.serverTiming,
      close: cur.close,
      body,
    });
  }
}
