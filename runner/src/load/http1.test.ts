import http from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Http1Client } from './http1.js';
import { buildRequest, HttpParseError, ResponseParser, type HttpErrorClass, type HttpResponse } from './http1-wire.js';

function parseAll(chunks: Array<string | Buffer>): HttpResponse[] {
  const out: HttpResponse[] = [];
  const p = new ResponseParser((r) => out.push(r));
  for (const c of chunks) p.feed(typeof c === 'string' ? Buffer.from(c, 'latin1') : c);
  return out;
}

/** Every split point of the stream into two packets, and byte-by-byte. */
function splits(s: string): Array<Array<string>> {
  const out: string[][] = [[...s]];
  for (let i = 1; i < s.length; i++) out.push([s.slice(0, i), s.slice(i)]);
  return out;
}

describe('ResponseParser', () => {
  const cl =
    'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nCONTENT-LENGTH: 5\r\nServer-Timing: infer;dur=0.61\r\n\r\nhello';
  const chunked =
    'HTTP/1.1 201 Created\r\ntransfer-encoding: chunked\r\n\r\n' +
    '3;ext=1\r\nabc\r\n' +
    'A\r\n0123456789\r\n' +
    '0\r\nx-trailer: 1\r\n\r\n';

  it('parses content-length bodies across every packet split', () => {
    for (const parts of splits(cl)) {
      const [r, ...rest] = parseAll(parts);
      expect(rest).toHaveLength(0);
      expect(r?.status).toBe(200);
      expect(r?.contentLength).toBe(5);
      expect(r?.body.toString()).toBe('hello');
      expect(r?.serverTiming).toBe('infer;dur=0.61');
      expect(r?.close).toBe(false);
    }
  });

  it('parses chunked bodies (extensions, trailers) across every packet split', () => {
    for (const parts of splits(chunked)) {
      const rs = parseAll(parts);
      expect(rs).toHaveLength(1);
      expect(rs[0]?.status).toBe(201);
      expect(rs[0]?.contentLength).toBeNull();
      expect(rs[0]?.body.toString()).toBe('abc0123456789');
    }
  });

  it('parses several responses in one packet, in order', () => {
    const noBody = 'HTTP/1.1 204 No Content\r\n\r\n';
    const closing = 'HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 2\r\n\r\nno';
    const rs = parseAll([cl + chunked + noBody + closing]);
    expect(rs.map((r) => [r.status, r.body.toString(), r.close])).toEqual([
      [200, 'hello', false],
      [201, 'abc0123456789', false],
      [204, '', false],
      [404, 'no', true],
    ]);
  });

  it('skips interim 1xx responses and joins repeated server-timing headers', () => {
    const rs = parseAll([
      'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nserver-timing: a;dur=1\r\nServer-Timing: b;dur=2\r\ncontent-length: 0\r\n\r\n',
    ]);
    expect(rs).toHaveLength(1);
    expect(rs[0]?.serverTiming).toBe('a;dur=1, b;dur=2');
  });

  it('treats HTTP/1.0 and unframed bodies as close-delimited', () => {
    const out: HttpResponse[] = [];
    const p = new ResponseParser((r) => out.push(r));
    p.feed(Buffer.from('HTTP/1.0 200 OK\r\n\r\nsome '));
    p.feed(Buffer.from('body'));
    expect(out).toHaveLength(0);
    expect(p.end()).toBe(true);
    expect(out[0]?.body.toString()).toBe('some body');
    expect(out[0]?.close).toBe(true);
  });

  it('reports a cut-short response on end()', () => {
    const p = new ResponseParser(() => {});
    p.feed(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'));
    expect(p.end()).toBe(false);
  });

  it('throws HttpParseError on garbage', () => {
    expect(() => parseAll(['SSH-2.0-OpenSSH\r\n\r\n'])).toThrow(HttpParseError);
    expect(() => parseAll(['HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n'])).toThrow(HttpParseError);
    expect(() => parseAll(['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'])).toThrow(HttpParseError);
  });
});

describe('buildRequest', () => {
  it('serializes once with Content-Length (bytes, not chars) and keep-alive', () => {
    const b = buildRequest(
      { method: 'POST', path: '/v1/embed', headers: { 'x-a': '1' }, body: '{"t":"é"}' },
      '127.0.0.1:8080',
    ).toString('utf8');
    expect(b).toBe(
      'POST /v1/embed HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nx-a: 1\r\nContent-Type: application/json\r\nContent-Length: 10\r\nConnection: keep-alive\r\n\r\n{"t":"é"}',
    );
    expect(buildRequest({ method: 'GET', path: '/health' }, 'h').toString()).toBe(
      'GET /health HTTP/1.1\r\nHost: h\r\nConnection: keep-alive\r\n\r\n',
    );
  });
});

// --- against real sockets on 127.0.0.1 ---

const servers: net.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function listen(s: net.Server): Promise<number> {
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return (s.address() as net.AddressInfo).port;
}

function send(c: Http1Client, req: Buffer): Promise<[HttpErrorClass | null, HttpResponse | null]> {
  return new Promise((resolve) => c.send(req, (e, r) => resolve([e, r])));
}

describe('Http1Client', () => {
  it('reuses one connection, and reconnects after connection: close', async () => {
    // Test stand-in server: counts connections, closes every 2nd response.
    let conns = 0;
    let n = 0;
    const server = http.createServer((req, res) => {
      n++;
      if (n % 2 === 0) res.setHeader('connection', 'close');
      res.end(`r${n}`);
    });
    server.on('connection', () => conns++);
    const port = await listen(server);
    server.keepAliveTimeout = 5000;
    const c = new Http1Client({ host: '127.0.0.1', port, timeoutMs: 2000 });
    const req = buildRequest({ method: 'GET', path: '/' }, `127.0.0.1:${port}`);
    const bodies: string[] = [];
    for (let i = 0; i < 4; i++) {
      const [e, r] = await send(c, req);
      expect(e).toBeNull();
      bodies.push(r!.body.toString());
    }
    c.close();
    expect(bodies).toEqual(['r1', 'r2', 'r3', 'r4']);
    expect(conns).toBe(2);
  });

  it('classifies timeout, reset, parse and connect errors', async () => {
    // Test stand-in raw server: behaviour chosen by the request path.
    const port = await listen(
      net.createServer((sock) => {
        sock.on('data', (d) => {
          const path = d.toString().split(' ')[1];
          if (path === '/hang') return;
          if (path === '/reset') sock.end('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial');
          else if (path === '/garbage') sock.write('NOT HTTP AT ALL\r\n\r\n');
          else sock.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
        });
        sock.on('error', () => {});
      }),
    );
    const c = new Http1Client({ host: '127.0.0.1', port, timeoutMs: 150 });
    const req = (p: string): Buffer => buildRequest({ method: 'GET', path: p }, 'x');
    expect((await send(c, req('/hang')))[0]).toBe('timeout');
    expect((await send(c, req('/ok')))[1]?.body.toString()).toBe('ok');
    expect((await send(c, req('/reset')))[0]).toBe('reset');
    expect((await send(c, req('/garbage')))[0]).toBe('parse');
    expect((await send(c, req('/ok')))[0]).toBeNull();
    c.close();

    // A port nobody listens on: bind, note the port, close.
    const probe = net.createServer();
    const dead = await listen(probe);
    await new Promise((r) => probe.close(r));
    servers.splice(servers.indexOf(probe), 1);
    const d = new Http1Client({ host: '127.0.0.1', port: dead, timeoutMs: 1000 });
    expect((await send(d, req('/')))[0]).toBe('connect');
    d.close();
  });
});
