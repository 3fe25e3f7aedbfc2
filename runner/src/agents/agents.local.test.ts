import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sentences } from '@servebench/contract';
import { ensureModel } from '@servebench/model';
import { describe, expect, it } from 'vitest';
import { discoverServers, filterStacks, repoRoot, stacksOf } from '../discover.js';
import { launchProcess, type Launched } from '../launch/process.js';
import type { LoadSpec } from '../load/types.js';
import { EMBED_TOLERANCE, loadOracle } from '../run.js';
import { buildWorkload } from '../workload.js';
import { runOnAgents } from './coordinator.js';
import { windowSlackMs } from './merge.js';

// Two real agent processes (runner/dist/cli.js agent, so build the runner first), each pinned to its
// own core with taskset, against a real tiny fastify+ort on 127.0.0.1. Separate "hosts" are emulated by
// processes on disjoint CPU sets over loopback. Asserts accounting and coverage, never a rate.
const cli = new URL('../../dist/cli.js', import.meta.url).pathname;

describe('two local agents against fastify+ort', () => {
  it('split the connections, cover the window and add up', async () => {
    const [stack] = filterStacks(stacksOf(discoverServers(repoRoot())), ['fastify+ort']);
    const files = await ensureModel('tiny', { seed: 0 });
    const oracle = await loadOracle(files, 1);
    let server: Launched | undefined;
    try {
      const workload = await buildWorkload('predict', sentences('short'), oracle, EMBED_TOLERANCE);
      server = await launchProcess(stack!, {
        env: { MODEL: 'tiny', MODEL_SEED: '0' },
        readyTimeoutMs: 60_000,
        logFile: join(mkdtempSync(join(tmpdir(), 'servebench-agents-')), 'server.log'),
      });
      const spec: LoadSpec = {
        host: server.host,
        port: server.port,
        ...workload,
        mode: 'closed',
        concurrency: 4,
        warmupMs: 300,
        durationMs: 1500,
        windowMs: 500,
        timeoutMs: 5000,
        threads: 1,
      };
      const out = await runOnAgents(
        spec,
        [
          { kind: 'local', cpus: '0' },
          { kind: 'local', cpus: '1' },
        ],
        { node: process.execPath, cli, leadMs: 8000 },
      );
      const { result, agents, reports } = out;
      expect(agents.map((a) => a.cpus)).toEqual(['0', '1']);
      expect(agents.map((a) => a.concurrency)).toEqual([2, 2]);
      expect(new Set(reports.map((r) => r.pid)).size).toBe(2);
      // Counts add up: the merged cell is the sum of the agents, and of its windows.
      expect(result.successes).toBeGreaterThan(0);
      expect(result.successes).toBe(agents.reduce((a, g) => a + g.successes, 0));
      expect(result.latencyMs.count).toBe(result.successes);
      expect(result.windows.reduce((a, w) => a + w.successes, 0)).toBe(result.successes);
      expect(result.errors).toEqual({});
      expect(result.threads).toBe(2);
      // Both agents were ready before the common start and measured the whole window.
      for (const r of reports) {
        expect(r.readyEpochMs).toBeLessThanOrEqual(r.startEpochMs);
        expect(r.startEpochMs).toBe(reports[0]!.startEpochMs);
        expect(r.measuredMs).toBeGreaterThanOrEqual(spec.durationMs - windowSlackMs(spec));
        expect(r.cpu.userMs + r.cpu.systemMs).toBeGreaterThan(0);
      }
    } finally {
      await server?.stop();
      await oracle.close();
    }
  }, 120_000);
});
