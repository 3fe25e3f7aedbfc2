// The bad-input suite's tally against a TEST STAND-IN that gets everything wrong: it answers every
// request with a 500 that leaks a stack trace. The report script relies on these counts.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../routes.js';
import type { ReadyResponse } from '../types.js';
import { ABUSE_CHECKS, abuseCases, newAbuseTally } from './abuse.js';
import { runConformance } from './checks.js';

const ready: ReadyResponse = {
  status: 'ready',
  server: 'leaky-standin',
  backend: 'none',
  backend_info: {},
  model: { name: 'tiny', seed: 0, hidden_size: 8, max_length: 128, sha256: '0' },
  limits: { max_body_bytes: 1024 * 1024, max_texts: 64, max_text_chars: 20_000 },
  batching: { maxBatchSize: 1, maxQueueDelayUs: 0 },
};

describe('bad-input tally against a leaky stand-in', () => {
  let server: Server;
  let baseUrl: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        if (req.url === ROUTES.readyz || req.url === ROUTES.healthz)
          return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(ready));
        res
          .writeHead(500, { 'content-type': 'text/plain' })
          .end('Error: boom\n    at handler (/srv/app/src/main.ts:12:3)');
      });
      req.on('error', () => res.destroy());
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  it('counts every matrix case, and every 5xx and leak among the answers', async () => {
    const tally = newAbuseTally();
    const [outcome] = await runConformance(baseUrl, { checks: [ABUSE_CHECKS[0]!], tally });
    expect(outcome).toMatchObject({ ok: false, error: expect.stringContaining('got 500') });
    const n = abuseCases(ready.limits).length;
    expect(tally.cases).toBe(n);
    // Every case but one gets the stand-in's 500 (or is cut off): Node's own parser answers the
    // oversized headers with 431 before the handler runs.
    expect(tally.serverErrors + tally.noAnswer).toBe(n - 1);
    expect(tally.serverErrors).toBeGreaterThan(n / 2);
    expect(tally.leaks).toBe(tally.serverErrors);
  }, 60_000);
});
