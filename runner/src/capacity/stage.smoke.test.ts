import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sentences, type Task } from '@servebench/contract';
import { ensureModel } from '@servebench/model';
import { describe, expect, it } from 'vitest';
import { discoverServers, filterStacks, repoRoot, stacksOf } from '../discover.js';
import { launchProcess, type Launched } from '../launch/process.js';
import { EMBED_TOLERANCE, loadOracle } from '../run.js';
import { buildWorkload, type Workload } from '../workload.js';
import { CAPACITY_DEFAULTS } from './defaults.js';
import { runCapacityStage } from './stage.js';
import type { CapacityResult } from './types.js';

// One real search against a real tiny stack (fastify+ort, tiny model) with the smoke profile's tiny
// bounds: proves the stage launches nothing itself, runs verified open-loop probes and keeps a
// consistent trace. The rates it finds mean nothing (shared machine, tiny model) and are not asserted.
describe('capacity stage on a real tiny stack', () => {
  it('searches predict and records a consistent bracket and probe trace', async () => {
    const [stack] = filterStacks(stacksOf(discoverServers(repoRoot())), ['fastify+ort']);
    const files = await ensureModel('tiny', { seed: 0 });
    const oracle = await loadOracle(files, 1);
    const workloads = new Map<Task, Workload>([
      ['predict', await buildWorkload('predict', sentences('short'), oracle, EMBED_TOLERANCE)],
    ]);
    let server: Launched | undefined;
    const recorded: Record<string, CapacityResult[]> = {};
    let ended = 0;
    try {
      await runCapacityStage(
        [
          {
            id: stack!.id,
            protocol: 'http',
            cells: [],
            begin: async () => {
              server = await launchProcess(stack!, {
                env: { MODEL: 'tiny', MODEL_SEED: '0' },
                readyTimeoutMs: 60_000,
                logFile: join(mkdtempSync(join(tmpdir(), 'servebench-capacity-')), 'server.log'),
              });
              return true;
            },
            running: () => server,
            end: async () => {
              ended++;
              await server?.stop();
            },
          },
        ],
        {
          capacity: { ...CAPACITY_DEFAULTS.smoke, maxProbes: 3 },
          model: 'tiny',
          timeoutMs: 5000,
          threads: 1,
          workers: 1,
          workloads,
          grpcWorkloads: new Map(),
          record: (id, r) => (recorded[id] = r),
          note: (line) => void (process.env.SERVEBENCH_TEST_VERBOSE && process.stderr.write(`${line}\n`)),
        },
      );
    } finally {
      await server?.stop();
      await oracle.close();
    }
    expect(ended).toBe(1);
    const [r] = recorded['fastify+ort']!;
    expect(r!.task).toBe('predict');
    expect(r!.sloP99Ms).toBe(20);
    expect(r!.probes.length).toBeGreaterThanOrEqual(1);
    expect(r!.probes.length).toBeLessThanOrEqual(3);
    for (const p of r!.probes) {
      // Every probe is an open-loop cell whose answers were checked: successes, a scheduled count, a verdict that fits.
      expect(p.scheduled).toBeGreaterThan(0);
      expect(p.successes + p.errors).toBeGreaterThan(0);
      expect(p.pass).toBe(p.reasons.length === 0);
      expect(p.durationS).toBeGreaterThan(0.4);
    }
    // One round (smoke): the capacity is its SLO crossing, inside [highest pass, lowest fail above it].
    const passing = r!.probes.filter((p) => p.pass).map((p) => p.rate);
    const top = passing.length ? Math.max(...passing) : null;
    const failing = r!.probes.filter((p) => !p.pass && (top === null || p.rate > top)).map((p) => p.rate);
    expect(r!.rounds).toHaveLength(1);
    if (top === null) expect(r!.capacityRps).toBeNull();
    else {
      expect(r!.capacityRps!).toBeGreaterThanOrEqual(top);
      if (failing.length) expect(r!.capacityRps!).toBeLessThanOrEqual(Math.min(...failing));
      expect(r!.atCapacity!.pass).toBe(true);
    }
  }, 120_000);
});
