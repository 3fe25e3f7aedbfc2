import { once } from 'node:events';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { readBody } from './body.js';
import { parseServerConfig } from './config.js';
import { hardenHttp, requestSignal } from './http.js';
import { redactAddresses, toServeError } from './service.js';
import { BackendError } from '@servebench/inference';

// Short timeouts so each case takes well under a second; the assertions are about behaviour
// (what arrives, whether the connection closes), never about how long it took.
const config = parseServerConfig({
  MAX_BODY_BYTES: '1024',
  HEADERS_TIMEOUT_MS: '300',
  REQUEST_TIMEOUT_MS: '400',
  IDLE_TIMEOUT_MS: '200',
  MAX_CONNECTIONS: '4',
});

const servers: http.Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

/** A stand-in app: echoes the body size (read with the core's readBody), or waits on /slow until aborted. */
async function start(onAbort?: () => void): Promise<number> {
  const server = http.createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.url === '/slow') {
      const signal = requestSignal(req, res);
      signal.addEventListener('abort', () => onAbort?.());
      return;
    }
    // void: both outcomes answer the request (node ignores a listener's promise).
    void readBody(req, config.limits.maxBodyBytes).then(
      (body) => res.end(JSON.stringify({ size: body.length })),
      (e: unknown) => {
        const err = toServeError(e);
        res.writeHead(err.status, { 'content-type': 'application/json' }).end(JSON.stringify(err.toBody()));
      },
    );
  });
  hardenHttp(server, config);
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

/** Raw client: writes `head`, then whatever `feed` writes; resolves with all it received once the server closes. */
function raw(port: number, head: string, feed?: (s: net.Socket) => void): Promise<{ text: string; closed: true }> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => {
      s.write(head);
      feed?.(s);
    });
    let text = '';
    s.on('data', (d) => (text += String(d)));
    s.on('error', () => undefined);
    s.on('close', () => resolve({ text, closed: true }));
  });
}

describe('hardenHttp', () => {
  it('answers 413 at once to a Content-Length over the limit, then closes', async () => {
    const port = await start();
    const r = await raw(port, 'POST /predict HTTP/1.1\r\nhost: x\r\ncontent-length: 50000000\r\n\r\n');
    expect(r.text).toMatch(/^HTTP\/1.1 413 /);
    expect(r.text).toContain('"code":"BODY_TOO_LARGE"');
    expect(r.text.toLowerCase()).toContain('connection: close');
  });

  it('answers Expect: 100-continue with a too-large Content-Length with 413, never 100 Continue', async () => {
    const port = await start();
    const r = await raw(
      port,
      'POST /predict HTTP/1.1\r\nhost: x\r\nexpect: 100-continue\r\ncontent-length: 50000000\r\n\r\n',
    );
    expect(r.text).not.toContain('100 Continue');
    expect(r.text).toMatch(/^HTTP\/1.1 413 /);
  });

  it('still sends 100 Continue for a body within the limit', async () => {
    const port = await start();
    const r = await raw(
      port,
      'POST /predict HTTP/1.1\r\nhost: x\r\nexpect: 100-continue\r\ncontent-length: 3\r\n\r\n',
      (s) => s.once('data', () => s.write('abc')),
    );
    expect(r.text).toMatch(/^HTTP\/1.1 100 Continue/);
    expect(r.text).toContain('{"size":3}');
  });

  it('answers 413 to an endless chunked body once it passes the limit, and closes the connection', async () => {
    const port = await start();
    let timer: NodeJS.Timeout | undefined;
    const r = await raw(port, 'POST /predict HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n', (s) => {
      const chunk = `100\r\n${'a'.repeat(256)}\r\n`;
      timer = setInterval(() => s.writable && s.write(chunk), 5);
    });
    clearInterval(timer);
    expect(r.text).toMatch(/^HTTP\/1.1 413 /);
    expect(r.text).toContain('"code":"BODY_TOO_LARGE"');
  });

  it('closes an idle connection that never sends a request', async () => {
    const port = await start();
    const r = await raw(port, '');
    expect(r.text).toBe('');
  });

  it('answers 408 and closes a body trickled past the request timeout', async () => {
    const port = await start();
    let timer: NodeJS.Timeout | undefined;
    const r = await raw(port, 'POST /predict HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n\r\n', (s) => {
      timer = setInterval(() => s.writable && s.write('a'), 50);
    });
    clearInterval(timer);
    expect(r.text).toMatch(/^HTTP\/1.1 408 /);
    expect(r.text).toContain('"code":"INVALID_REQUEST"');
  });

  it('answers malformed HTTP with a contract error body', async () => {
    const port = await start();
    const r = await raw(port, 'GARBAGE\r\n\r\n');
    expect(r.text).toMatch(/^HTTP\/1.1 400 /);
    expect(JSON.parse(r.text.slice(r.text.indexOf('\r\n\r\n') + 4))).toMatchObject({
      error: { code: 'INVALID_REQUEST' },
    });
  });

  it('aborts the request signal when the client goes away before its answer', async () => {
    let aborted!: () => void;
    const wasAborted = new Promise<void>((r) => (aborted = r));
    const port = await start(() => aborted());
    const s = net.connect(port, '127.0.0.1', () => s.write('GET /slow HTTP/1.1\r\nhost: x\r\n\r\n'));
    s.on('error', () => undefined);
    setTimeout(() => s.destroy(), 50);
    await wasAborted;
  });

  it('caps open connections', async () => {
    const port = await start();
    const sockets = Array.from({ length: 6 }, () => net.connect(port, '127.0.0.1'));
    const closed = await Promise.all(
      sockets.map(
        (s) =>
          new Promise<boolean>((resolve) => {
            s.on('error', () => undefined);
            s.once('close', () => resolve(true));
          }),
      ),
    );
    expect(closed.every(Boolean)).toBe(true); // 2 over the cap at once, the rest when idle
  });
});

describe('client-facing errors', () => {
  it('never carry the model server address', () => {
    for (const msg of [
      'connect ECONNREFUSED 127.0.0.1:8001',
      'triton at http://127.0.0.1:8000/v2/models/bert/infer answered 500',
      'cannot reach [::1]:8500',
      'model-server.internal:8001 timed out',
    ]) {
      const err = toServeError(new BackendError('BACKEND_UNAVAILABLE', msg));
      expect(err.message).not.toMatch(/127\.0\.0\.1|::1|:8\d\d\d|internal/);
      expect(err.message).toContain('the model server');
    }
    expect(redactAddresses('the backend returned 2 rows for a batch of 3')).toBe(
      'the backend returned 2 rows for a batch of 3',
    );
  });
});
