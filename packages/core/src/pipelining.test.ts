import { once } from 'node:events';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBody } from './body.js';
import { parseServerConfig } from './config.js';
import { hardenHttp, requestSignal } from './http.js';
import { Service, type Reply } from './service.js';
import { TEST_ENV } from './testing.js';

// Issue 29: clients that pipeline predicts and never read their answers. The server must not run
// them all and keep every answer: a connection's next request waits until the previous answer has
// been sent, and a connection whose answer does not leave within SEND_TIMEOUT_MS is closed. The
// assertions are on the server's own state (its sockets, the predicts it ran), not on RSS.
const CONNECTIONS = 8;
const PIPELINED = 100;
const config = parseServerConfig({ ...TEST_ENV, IDLE_TIMEOUT_MS: '500', SEND_TIMEOUT_MS: '1000' });

let service: Service;
let server: http.Server;
let port: number;
let ran = 0;
const open = new Set<net.Socket>();

const send = (res: http.ServerResponse, r: Reply) => res.writeHead(r.status, r.headers).end(r.body);

beforeAll(async () => {
  service = new Service(config, 'pipelining-test');
  await service.load();
  // The core's predict route, as the Node stacks wire it.
  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (req.url === '/healthz') return send(res, service.health());
    ran++;
    const body = await readBody(req, config.limits.maxBodyBytes);
    send(res, await service.predict(body, req.headers['content-type'], requestSignal(req, res)));
  };
  // node:http ignores a listener's promise; a failed predict shows as the client's missing answer.
  server = http.createServer((req, res) => void handle(req, res));
  hardenHttp(server, config);
  server.on('connection', (s: net.Socket) => {
    open.add(s);
    s.once('close', () => open.delete(s));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as AddressInfo).port;
}, 120_000);

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  await service?.close();
});

describe('pipelined requests whose answers are read', () => {
  it('all get their answers, in order, on one connection', async () => {
    const n = 20;
    const requests = Array.from({ length: n }, (_, i) => {
      if (i % 2) return 'GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n';
      const body = JSON.stringify({ text: `word${i}` });
      return `POST /predict HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`;
    });
    const s = net.connect(port, '127.0.0.1', () => s.write(requests.join('')));
    s.on('error', () => undefined);
    let text = '';
    s.on('data', (d: Buffer) => (text += d.toString('latin1')));
    const statuses = () => [...text.matchAll(/^HTTP\/1\.1 (\d{3})/gm)].map((m) => m[1]);
    const deadline = performance.now() + 15_000;
    while (statuses().length < n && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    s.destroy();
    expect(statuses()).toEqual(Array.from({ length: n }, () => '200'));
    // In order: predicts answer with an embedding, /healthz with its status.
    const bodies = text.split(/^HTTP\/1\.1 /m).slice(1);
    expect(bodies.map((b) => (b.includes('"status":"ok"') ? 'health' : 'predict'))).toEqual(
      requests.map((_, i) => (i % 2 ? 'health' : 'predict')),
    );
  }, 30_000);
});

describe('pipelined predicts whose answers are never read', () => {
  it('runs a bounded number of them, closes the connections within SEND_TIMEOUT_MS and stays healthy', async () => {
    ran = 0;
    const body = JSON.stringify({ texts: Array.from({ length: 64 }, (_, i) => `word${i}`) });
    const request = `POST /predict HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    const clients = Array.from({ length: CONNECTIONS }, () => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.pause(); // never reads an answer
        s.write(request.repeat(PIPELINED));
      });
      s.on('error', () => undefined);
      return s;
    });
    try {
      await Promise.all(clients.map((s) => once(s, 'connect')));
      // Bounded wait: the send timeout plus a generous margin for a loaded machine.
      const deadline = performance.now() + config.connections.sendTimeoutMs + 15_000;
      while (open.size > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(open.size, `server sockets still open after ${ran} predicts`).toBe(0);
      // Each connection runs predicts only while its answers leave (into the kernel's socket buffers).
      expect(ran).toBeLessThan((CONNECTIONS * PIPELINED) / 2);
      const health = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(5000) });
      expect(health.status).toBe(200);
    } finally {
      for (const s of clients) s.destroy();
    }
  }, 60_000);
});
