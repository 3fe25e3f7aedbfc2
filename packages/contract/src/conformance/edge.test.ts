// The edge checks against a TEST STAND-IN with the routing express had before the edge was decided:
// 404 for a known path's other methods and for OPTIONS, and a trailing slash that still matches.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runConformance } from './checks.js';
import { EDGE_CHECKS } from './edge.js';

const ready = {
  status: 'ready',
  model: { hidden_size: 8, max_length: 128 },
  limits: { max_body_bytes: 1024, max_texts: 4, max_text_chars: 10 },
};
const ROUTES: Record<string, string> = {
  '/hello_world': 'GET',
  '/readyz': 'GET',
  '/healthz': 'GET',
  '/metrics': 'GET',
};

describe('edge checks against a lenient stand-in', () => {
  let server: Server;
  let baseUrl: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      const path = (req.url ?? '').split('?')[0]!.replace(/(.)\/$/, '$1');
      const method = req.method === 'HEAD' ? 'GET' : req.method;
      if (ROUTES[path] === method || (path === '/predict' && method === 'POST'))
        return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(ready));
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"code":"NOT_FOUND","message":"x"}}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  it('fails both checks and names the requests', async () => {
    const [edge, doc] = await runConformance(baseUrl, { checks: EDGE_CHECKS });
    expect(edge).toMatchObject({ ok: false });
    expect(edge!.error).toContain('PUT /predict: expected 405, got 404');
    expect(doc).toMatchObject({
      ok: false,
      error: expect.stringContaining('POST /hello_world: undocumented, yet answered 404'),
    });
  });
});
