import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { discoverServers, repoRoot, stacksOf, type StackSpec } from './discover.js';
import { launchProcess } from './launch/process.js';
import { OVERLOAD_ENV, OVERLOAD_RSS_LIMIT_MB, SHUTDOWN_ENV, overload, shutdownUnderLoad, type Protocol } from './reliability/probes.js';

// Overload and shutdown behaviour of every server on the ort backend (HTTP and gRPC), started as
// the runner starts it. Loopback only; every probe is bounded in count and time.
const stacks = stacksOf(discoverServers(repoRoot())).filter((s) => s.backend === 'ort');
const logs = mkdtempSync(join(tmpdir(), 'servebench-reliability-'));

const launch = (s: StackSpec, env: Record<string, string>) =>
  launchProcess(s, { env: { MODEL: 'mini', ...env }, readyTimeoutMs: 90_000, logFile: join(logs, `${s.id}-${Date.now()}.log`) });

describe.each(stacks.map((s) => [s.id, s] as const))('%s', (_id, stack) => {
  const protocol: Protocol = stack.server.protocol;

  it('sheds overload with Retry-After, keeps answering health checks, bounds memory, and recovers', async () => {
    const server = await launch(stack, OVERLOAD_ENV);
    try {
      const r = await overload(server, protocol);
      expect(r.other, 'only served or shed').toEqual([]);
      expect(r.shed, 'some requests are shed').toBeGreaterThan(0);
      expect(r.shedWithoutRetryAfter, 'every shed request says when to retry').toBe(0);
      expect(r.served, 'some requests are served').toBeGreaterThan(0);
      expect(r.healthFailures, 'health answered throughout').toBe(0);
      expect(r.peakRssMb, `peak RSS ${r.peakRssMb} MB`).toBeLessThan(OVERLOAD_RSS_LIMIT_MB);
      expect(r.recovered, 'recovers when the load stops').toBe(true);
      expect(server.exited()).toBeUndefined();
    } finally {
      await server.stop();
    }
  }, 180_000);

  it('on SIGTERM finishes every in-flight request, then exits 0', async () => {
    const server = await launch(stack, SHUTDOWN_ENV);
    const r = await shutdownUnderLoad(server, protocol);
    expect(r.lost, 'requests lost or failed at shutdown').toEqual([]);
    expect(r.exit).toEqual({ code: 0, signal: null });
  }, 120_000);
});
