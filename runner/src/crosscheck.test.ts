// crossCheckServer against a stand-in hello server (node:http, answers HELLO_BODY): wrk when it is
// installed, and the "not measured" path when the tool is missing.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HELLO_BODY } from '@servebench/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crossCheckServer, crossCheckStamp } from './crosscheck.js';
import { wrkAvailable } from './load/wrk.js';

let server: Server;
let port: number;
beforeAll(async () => {
  server = createServer((_, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(HELLO_BODY));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const opts = { connections: 4, durationS: 1, warmupS: 0.2, rounds: 1 };

describe('crossCheckServer', () => {
  it('records "not measured" with the reason when the tool is missing', async () => {
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      const r = await crossCheckServer({ stack: 'standin', protocol: 'http', host: '127.0.0.1', port }, opts);
      expect(r).toMatchObject({
        tool: 'wrk',
        status: 'not-measured',
        reason: expect.stringMatching(/apt-get install/),
      });
      expect(crossCheckStamp([r])).toMatch(/^engine\/wrk not measured \(wrk not found/);
    } finally {
      process.env.PATH = path;
    }
  });

  it.skipIf(!wrkAvailable())(
    'measures the engine and wrk on the same server and gives their ratio',
    async () => {
      const r = await crossCheckServer({ stack: 'standin', protocol: 'http', host: '127.0.0.1', port }, opts);
      expect(r.status === 'ok' ? '' : r.reason).toBe('');
      expect(r.rounds).toHaveLength(1);
      expect(r.engineRps).toBeGreaterThan(0);
      expect(r.toolRps).toBeGreaterThan(0);
      expect(r.ratio).toBeCloseTo(r.engineRps! / r.toolRps!, 9);
      expect(crossCheckStamp([r])).toMatch(/^engine\/wrk \d+\.\d\d on standin hello_world \(c=4\)$/);
    },
    60_000,
  );
});
