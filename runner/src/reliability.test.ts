import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, type TestContext } from 'vitest';
import { discoverServers, repoRoot, stacksOf, type StackSpec } from './discover.js';
import { LaunchError, launchProcess } from './launch/process.js';
import { abuse, reportStacks } from './reliability/report.js';
import {
  OVERLOAD_ENV,
  OVERLOAD_RSS_LIMIT_MB,
  SHUTDOWN_ENV,
  overload,
  shutdownUnderLoad,
  type Protocol,
} from './reliability/probes.js';

// Bad input, overload and shutdown behaviour of every stack whose model runs in process (HTTP and gRPC),
// started as the runner starts it. Stacks that cannot run here (LaunchError unavailable) are skipped with
// the reason. Loopback only; every probe is bounded in count and time.
const stacks = reportStacks(stacksOf(discoverServers(repoRoot())));
const logs = mkdtempSync(join(tmpdir(), 'servebench-reliability-'));

/** Launches a stack as the runner does; one that cannot run here (e.g. tfjs-node absent) skips with the reason. */
const launch = (ctx: TestContext, s: StackSpec, env: Record<string, string>) =>
  launchProcess(s, {
    env: { MODEL: 'mini', ...env },
    readyTimeoutMs: 90_000,
    logFile: join(logs, `${s.id}-${Date.now()}.log`),
  }).catch((e: unknown) => {
    if (e instanceof LaunchError && e.unavailable) ctx.skip(`${s.id} cannot run here: ${e.message}`);
    throw e;
  });

describe.each(stacks.map((s) => [s.id, s] as const))('%s', (_id, stack) => {
  const protocol: Protocol = stack.server.protocol;

  it('answers the bad-input matrix and fuzzing out of process: no crash, no 5xx, no leak, every case its 4xx', async (ctx) => {
    const server = await launch(ctx, stack, {});
    try {
      const r = await abuse(server, stack);
      expect(r.failures).toEqual([]);
      expect({ crashes: r.crashes, serverErrors: r.serverErrors, leaks: r.leaks }).toEqual({
        crashes: 0,
        serverErrors: 0,
        leaks: 0,
      });
      expect(r.cases).toBeGreaterThan(300);
    } finally {
      await server.stop();
    }
  }, 180_000);

  it('sheds overload with Retry-After, keeps answering health checks, bounds memory, and recovers', async (ctx) => {
    const server = await launch(ctx, stack, OVERLOAD_ENV);
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

  it('on SIGTERM finishes every in-flight request, then exits 0', async (ctx) => {
    const server = await launch(ctx, stack, SHUTDOWN_ENV);
    const r = await shutdownUnderLoad(server, protocol);
    expect(r.lost, 'requests lost or failed at shutdown').toEqual([]);
    expect(r.exit).toEqual({ code: 0, signal: null });
  }, 120_000);
});
