import http from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { runLoad, splitSpec } from './engine.js';
import type { LoadResult, LoadSpec } from './types.js';

// Test stand-in servers: node:http on 127.0.0.1, port 0, behaviour chosen per test.
const servers: http.Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

async function standInServer(handler: http.RequestListener): Promise<number> {
  const s = http.createServer(handler);
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return (s.address() as net.AddressInfo).port;
}

function spec(port: number, over: Partial<LoadSpec>): LoadSpec {
  return {
    host: '127.0.0.1',
    port,
    requests: [{ method: 'GET', path: '/' }],
    expect: [{ kind: 'exact', body: 'ok' }],
    mode: 'closed',
    concurrency: 4,
    warmupMs: 0,
    durationMs: 600,
    windowMs: 200,
    timeoutMs: 1000,
    ...over,
  };
}

const errorTotal = (r: LoadResult): number => Object.values(r.errors).reduce((a, b) => a + b, 0);

describe('runLoad (closed loop)', () => {
  it('counts only 2xx + valid body as successes; wrong bodies are invalid_body and not in rps', async () => {
    let n = 0;
    const port = await standInServer((_req, res) => {
      n++;
      res.setHeader('server-timing', 'queue;dur=0.012, infer;dur=0.61, batch;dur=4');
      res.end(n % 3 === 0 ? 'WRONG' : 'ok');
    });
    const r = await runLoad(spec(port, {}));
    const invalid = r.errors.invalid_body ?? 0;
    expect(Object.keys(r.errors)).toEqual(['invalid_body']);
    expect(r.successes).toBeGreaterThan(50);
    expect(invalid / (invalid + r.successes)).toBeGreaterThan(0.28);
    expect(invalid / (invalid + r.successes)).toBeLessThan(0.38);
    expect(r.latencyMs.count).toBe(r.successes);
    expect(r.rps).toBeCloseTo(r.successes / r.durationS, 6);
    expect(r.windows).toHaveLength(3);
    expect(r.windows.reduce((a, w) => a + w.successes, 0)).toBe(r.successes);
    expect(r.cdf.length).toBeGreaterThanOrEqual(50);
    expect(r.clientElu).toBeGreaterThan(0);
    expect(r.clientElu).toBeLessThanOrEqual(1);
    // The measurement window is located on the wall clock, just before now.
    const ago = performance.timeOrigin + performance.now() - r.measureStartEpochMs!;
    expect(ago).toBeGreaterThanOrEqual(r.durationS * 1000 - 1);
    expect(ago).toBeLessThan(r.durationS * 1000 + 1000);
    // Server-Timing only from successes, in ms.
    expect(r.serverTiming.infer?.count).toBe(r.successes);
    expect(r.serverTiming.infer?.p50).toBeCloseTo(0.61, 3);
    expect(r.serverTiming.queue?.mean).toBeCloseTo(0.012, 4);
    expect(r.serverTiming.batch?.p99).toBeCloseTo(4, 2);
  });

  it('counts non-2xx by status; merges two threads', async () => {
    const port = await standInServer((req, res) => {
      if (req.url === '/busy') {
        res.statusCode = 503;
        res.end('ok'); // right body, wrong status: still an error
      } else res.end('ok');
    });
    const r = await runLoad(
      spec(port, {
        requests: [
          { method: 'GET', path: '/' },
          { method: 'POST', path: '/busy', body: '{}' },
        ],
        expect: [
          { kind: 'exact', body: 'ok' },
          { kind: 'exact', body: 'ok' },
        ],
        threads: 2,
      }),
    );
    expect(r.threads).toBe(2);
    expect(Object.keys(r.errors)).toEqual(['status_503']);
    // Round-robin per connection-set: about half and half.
    const ratio = r.errors.status_503! / (r.errors.status_503! + r.successes);
    expect(ratio).toBeGreaterThan(0.4);
    expect(ratio).toBeLessThan(0.6);
  });

  it('counts timeouts when the server never answers some requests', async () => {
    const port = await standInServer((req, res) => {
      if (req.url !== '/hang') res.end('ok');
    });
    const r = await runLoad(
      spec(port, {
        requests: [
          { method: 'GET', path: '/' },
          { method: 'GET', path: '/hang' },
        ],
        expect: [
          { kind: 'exact', body: 'ok' },
          { kind: 'exact', body: 'ok' },
        ],
        concurrency: 2,
        timeoutMs: 100,
        durationMs: 800,
      }),
    );
    expect(r.errors.timeout).toBeGreaterThanOrEqual(4);
    expect(r.successes).toBeGreaterThan(0);
    expect(r.latencyMs.max).toBeLessThan(100); // timed-out requests never enter the histogram
  });

  it('counts connection refused as connect', async () => {
    const probe = net.createServer();
    await new Promise<void>((res) => probe.listen(0, '127.0.0.1', res));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise((res) => probe.close(res));
    const r = await runLoad(spec(port, { durationMs: 300 }));
    expect(r.successes).toBe(0);
    expect(Object.keys(r.errors)).toEqual(['connect']);
    expect(r.errors.connect).toBeGreaterThan(0);
    expect(r.rps).toBe(0);
  });

  it('parses chunked responses and checks them as JSON', async () => {
    const port = await standInServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.write('{"embedding":[0.1,');
      setImmediate(() => res.end('0.2,0.3]}')); // separate chunk, likely a separate packet
    });
    const r = await runLoad(
      spec(port, {
        requests: [{ method: 'POST', path: '/embed', body: '{"text":"hi"}' }],
        expect: [{ kind: 'embedding', field: 'embedding', values: [0.1, 0.2, 0.3], tol: 1e-6 }],
        durationMs: 400,
      }),
    );
    expect(r.errors).toEqual({});
    expect(r.successes).toBeGreaterThan(20);
  });

  it('stops after maxRequests successes+errors', async () => {
    const port = await standInServer((_req, res) => res.end('ok'));
    const r = await runLoad(spec(port, { maxRequests: 57, durationMs: 3000, threads: 2 }));
    expect(r.successes + errorTotal(r)).toBe(57);
    expect(r.durationS).toBeLessThan(3);
  });

  it('refuses non-loopback hosts', async () => {
    await expect(runLoad(spec(80, { host: '10.0.0.1' }))).rejects.toThrow(/non-loopback/);
    await expect(runLoad(spec(80, { host: 'example.com' }))).rejects.toThrow(/non-loopback/);
  });
});

describe('runLoad (open loop)', () => {
  it('sends about rate*duration requests at a fixed rate', async () => {
    const port = await standInServer((_req, res) => res.end('ok'));
    const r = await runLoad(
      spec(port, { mode: 'open', rate: 200, arrivals: 'fixed', durationMs: 1000, windowMs: 500 }),
    );
    expect(r.open?.scheduled).toBe(200); // t = 0, 5, ..., 995 ms
    expect(r.open?.sent).toBe(200);
    expect(r.open?.dropped).toBe(0);
    expect(r.successes).toBe(200);
    expect(r.rps).toBeCloseTo(200, 6);
    expect(r.windows.map((w) => w.successes)).toEqual([100, 100]);
  });

  it('charges latency from the scheduled time across a 200 ms server stall', async () => {
    let stallStart = Infinity;
    let first: number | undefined;
    const port = await standInServer((_req, res) => {
      const now = performance.now();
      first ??= now;
      if (stallStart === Infinity && now - first > 400) stallStart = now;
      // Everything arriving during the stall is answered when it ends, like a GC pause.
      const wait = stallStart + 200 - now;
      if (stallStart !== Infinity && wait > 0) setTimeout(() => res.end('ok'), wait);
      else res.end('ok');
    });
    // 8 connections: only 8 requests can be on the wire during the stall; the rest
    // queue in the client and must still be charged from their schedule.
    const r = await runLoad(
      spec(port, { mode: 'open', rate: 200, arrivals: 'fixed', concurrency: 8, durationMs: 1200, timeoutMs: 2000 }),
    );
    expect(r.errors).toEqual({});
    expect(r.successes).toBe(240);
    expect(r.latencyMs.max).toBeGreaterThan(180);
    expect(r.latencyMs.p99).toBeGreaterThan(150);
    // ~40 requests were scheduled during the stall, so well over 5% saw > 50 ms.
    const p95 = r.cdf.find(([p]) => p >= 95)![1];
    expect(p95).toBeGreaterThan(50);
    expect(r.open?.late).toBeGreaterThan(20); // queued sends left after their schedule
  });

  it('poisson arrivals are deterministic for a seed (same scheduled count)', async () => {
    const port = await standInServer((_req, res) => res.end('ok'));
    const s = spec(port, { mode: 'open', rate: 300, arrivals: 'poisson', seed: 7, durationMs: 500 });
    const [a, b] = [await runLoad(s), await runLoad(s)];
    expect(a.open?.scheduled).toBe(b.open?.scheduled);
    expect(a.open!.scheduled).toBeGreaterThan(100);
    expect(a.open!.scheduled).toBeLessThan(200);
  });
});

describe('splitSpec', () => {
  it('divides connections, rate and maxRequests across threads', () => {
    const shares = splitSpec(spec(1, { concurrency: 5, threads: 2, mode: 'open', rate: 100, maxRequests: 11 }));
    expect(shares.map((s) => s.connections)).toEqual([3, 2]);
    expect(shares.map((s) => s.rate)).toEqual([60, 40]);
    expect(shares.map((s) => s.maxRequests)).toEqual([6, 5]);
    expect(new Set(shares.map((s) => s.seed)).size).toBe(2);
    expect(splitSpec(spec(1, { concurrency: 2, threads: 8 }))).toHaveLength(2);
  });
});
