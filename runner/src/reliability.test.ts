import { mkdtempSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROUTES, sentences } from '@servebench/contract';
import { describe, expect, it } from 'vitest';
import { discoverServers, repoRoot, stacksOf, type StackSpec } from './discover.js';
import { launchProcess } from './launch/process.js';
import { startSampler } from './resources/sampler.js';

// Overload and shutdown behaviour of every HTTP server on the ort backend, started as the runner
// starts it. Loopback only; every loop is bounded in count and time.
const stacks = stacksOf(discoverServers(repoRoot())).filter((s) => s.server.protocol === 'http' && s.backend === 'ort');
const logs = mkdtempSync(join(tmpdir(), 'servebench-reliability-'));
const body = JSON.stringify({ texts: sentences('medium') });
/** The stated bound for a server's whole process tree under overload (mini model, MAX_QUEUE=16). */
export const OVERLOAD_RSS_LIMIT_MB = 700;

const launch = (s: StackSpec, env: Record<string, string>) =>
  launchProcess(s, { env: { MODEL: 'mini', ...env }, readyTimeoutMs: 90_000, logFile: join(logs, `${s.id}-${Date.now()}.log`) });

async function predict(baseUrl: string): Promise<{ status: number; retryAfter: string | null }> {
  const r = await fetch(new URL(ROUTES.predict, baseUrl), { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(60_000) });
  await r.arrayBuffer();
  return { status: r.status, retryAfter: r.headers.get('retry-after') };
}

describe.each(stacks.map((s) => [s.id, s] as const))('%s', (_id, stack) => {
  it('sheds overload with 429 + Retry-After, keeps answering /healthz, bounds memory, and recovers', async () => {
    const server = await launch(stack, { MAX_QUEUE: '16' });
    const sampler = startSampler(server.pid, 100);
    try {
      let healthFailures = 0;
      let loadDone = false;
      const health = (async () => {
        while (!loadDone) {
          const ok = await fetch(new URL(ROUTES.healthz, server.baseUrl), { signal: AbortSignal.timeout(2000) }).then((r) => r.ok, () => false);
          if (!ok) healthFailures++;
          await new Promise((r) => setTimeout(r, 100));
        }
      })();
      // Far more than the server can take at once: 1200 requests of 4 medium texts, 400 at a time.
      const statuses: Array<{ status: number; retryAfter: string | null }> = [];
      for (let wave = 0; wave < 3; wave++) statuses.push(...(await Promise.all(Array.from({ length: 400 }, () => predict(server.baseUrl)))));
      loadDone = true;
      await health;
      const peakRssMb = sampler.stop().peakRssMb;

      const by = (code: number) => statuses.filter((s) => s.status === code);
      expect(statuses.filter((s) => s.status !== 200 && s.status !== 429), 'only 200 or 429').toEqual([]);
      expect(by(429).length, 'some requests are shed').toBeGreaterThan(0);
      expect(by(429).every((s) => s.retryAfter !== null), 'every 429 says when to retry').toBe(true);
      expect(by(200).length, 'some requests are served').toBeGreaterThan(0);
      expect(healthFailures, '/healthz answered throughout').toBe(0);
      expect(peakRssMb, `peak RSS ${peakRssMb} MB`).toBeLessThan(OVERLOAD_RSS_LIMIT_MB);
      expect((await predict(server.baseUrl)).status, 'recovers when the load stops').toBe(200);
      expect(server.exited()).toBeUndefined();
    } finally {
      await server.stop();
    }
  }, 180_000);

  it('on SIGTERM finishes every in-flight request, then exits 0', async () => {
    const server = await launch(stack, { SHUTDOWN_GRACE_MS: '20000' });
    const agent = new Agent({ keepAlive: true, maxSockets: 40 });
    // Open and use the 40 connections first: a connection still in the listen backlog when the
    // listener closes is reset by the kernel, and that is not a request the server had.
    const get = () => new Promise<void>((resolve, reject) => request(new URL(ROUTES.healthz, server.baseUrl), { agent }, (res) => res.resume().on('end', resolve)).on('error', reject).end());
    await Promise.all(Array.from({ length: 40 }, get));
    const sent: Array<Promise<void>> = [];
    const inflight = Array.from({ length: 40 }, () =>
      new Promise<number | string>((resolve) => {
        const req = request(new URL(ROUTES.predict, server.baseUrl), { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', (e) => resolve(`lost: ${e.message}`));
        sent.push(new Promise((r) => req.on('finish', r)));
        req.end(body);
      }),
    );
    // In flight = fully sent on an accepted connection; the server answers one batch at a time, so
    // after the first answer plus a moment the other 39 are queued inside the server.
    await Promise.all(sent);
    await Promise.race(inflight);
    await new Promise((r) => setTimeout(r, 100));
    process.kill(server.pid, 'SIGTERM');
    const statuses = await Promise.all(inflight);
    agent.destroy();
    expect(statuses.filter((s) => s !== 200), 'requests lost or failed at shutdown').toEqual([]);
    // Let it finish on its own: a second signal from stop() would interrupt the graceful exit.
    const deadline = Date.now() + 25_000;
    while (!server.exited() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const exit = server.exited() ?? (await server.stop());
    expect(exit).toEqual({ code: 0, signal: null });
  }, 120_000);
});
