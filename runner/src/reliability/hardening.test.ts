import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { discoverServers, repoRoot, stacksOf } from '../discover.js';
import { LaunchError, launchProcess } from '../launch/process.js';
import { httpCall } from './clients.js';
import { CI_SIZES, hardeningProbes, type ProbeResult } from './hardening.js';
import { reportStacks } from './report.js';

// Issue 15's probes against every stack whose model runs in process, with small sizes and sub-second
// timeouts (CI_SIZES). Behaviour only: the 413 arrives, no 100 Continue, slow and idle connections are
// closed (a trickled body or trickled headers with 408), the work of abandoned requests leaves the
// queue; no wall-clock bound is asserted (the `servebench reliability` table measures those on an idle
// machine).
const stacks = reportStacks(stacksOf(discoverServers(repoRoot())));
const logs = mkdtempSync(join(tmpdir(), 'servebench-hardening-'));

describe.each(stacks.map((s) => [s.id, s] as const))('%s', (_id, stack) => {
  it('answers or closes every hardening probe', async (ctx) => {
    const server = await launchProcess(stack, {
      env: { MODEL: 'tiny', ...CI_SIZES.env },
      readyTimeoutMs: 90_000,
      logFile: join(logs, `${stack.id}.log`),
    }).catch((e: unknown) => {
      if (e instanceof LaunchError && e.unavailable) ctx.skip(`${stack.id} cannot run here: ${e.message}`);
      throw e;
    });
    try {
      const results = await hardeningProbes(server, stack.server.protocol, CI_SIZES);
      const by = (p: ProbeResult['probe']) => results.find((r) => r.probe === p);
      const answered = (p: ProbeResult['probe']) => {
        const r = by(p);
        expect(r, p).toBeDefined();
        expect(r!.ms, `${p}: ${r!.outcome}`).toBeDefined();
        return r!;
      };
      if (stack.server.protocol === 'http') {
        expect(answered('continue').outcome).toBe('HTTP 413'); // and never 100 Continue
        expect(answered('chunked').outcome).toMatch(/^HTTP 413/);
        expect(answered('trickle').outcome).toBe('HTTP 408, closed');
        expect(answered('headers').outcome).toBe('HTTP 408, closed');
        const metrics = await httpCall(new URL('/metrics', server.baseUrl));
        expect(metrics.text, 'the queue is empty after the abandoned work').toMatch(
          /^servebench_queue_depth(\{[^}]*\})? 0(\.0)?$/m,
        );
      }
      expect(answered('idle').outcome).toBe(`${CI_SIZES.idleSockets} of ${CI_SIZES.idleSockets} closed`);
      expect(answered('accent').outcome).toBe('200');
      expect(answered('abort').outcome).toMatch(/^200 /);
      expect(answered('unique-words').outcome).toBe(`${CI_SIZES.uniqueWords} x 200`);
      expect(server.exited()).toBeUndefined();
    } finally {
      await server.stop();
    }
  }, 120_000);
});
