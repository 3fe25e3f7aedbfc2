// The verify step refuses a stack whose batching is not the run's (issue 27), with a real stack: fastify+ort
// launched as the runner launches it, except that the test's launcher overrides MAX_BATCH_SIZE, as a stack
// that ignores the run's policy would (the Python peers did before they read it).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureModel } from '@servebench/model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discoverServers, filterStacks, repoRoot, stacksOf } from '../discover.js';
import { launchProcess } from '../launch/process.js';
import type { Launcher } from '../launch/types.js';
import { PROFILES, type RunSettings } from '../profiles.js';
import type { StackResult } from '../results.js';
import { loadOracle } from './oracle.js';
import { StackParticipant, StackPool } from './stack.js';

const stacks = stacksOf(discoverServers(repoRoot()));
const [stack] = filterStacks(stacks, ['fastify+ort']);
const runDir = mkdtempSync(join(tmpdir(), 'servebench-stack-batching-'));
let oracle: Awaited<ReturnType<typeof loadOracle>>;
beforeAll(async () => {
  oracle = await loadOracle(await ensureModel('tiny'), 1);
}, 120_000);
afterAll(() => oracle?.close());

async function verified(runBatch: number, stackBatch?: string, spec = stack!): Promise<StackResult> {
  const settings: RunSettings = { ...PROFILES.smoke!, maxBatchSize: runBatch, maxQueueDelayUs: 500 };
  // What the stack is really started with: the run's environment, then MAX_BATCH_SIZE replaced if asked.
  const launch: Launcher = (s, o) =>
    launchProcess(s, { ...o, env: { ...o.env, ...(stackBatch && { MAX_BATCH_SIZE: stackBatch }) } });
  const result: StackResult = {
    id: spec.id,
    server: spec.server.id,
    backend: spec.backend,
    protocol: 'http',
    launcher: 'process',
    status: 'pending',
    cells: [],
  };
  const p = new StackParticipant(spec, result, [], {
    settings,
    runDir,
    launch,
    oracle,
    workloads: new Map(),
    grpcWorkloads: new Map(),
    pool: new StackPool(0),
    note: () => {},
  });
  try {
    await p.begin();
  } finally {
    await p.close();
  }
  return result;
}

describe('verify: the batching a stack runs must be the run asks', () => {
  it('a stack running one request per call in a run that asks 16 is failed, not labelled batched', async () => {
    const r = await verified(16, '1');
    expect(r.status).toBe('failed-verification');
    expect(r.reason).toBe('runs the batching policy the run asks: reports maxBatchSize 1 but the run asks 16');
    expect(r.backendInfo?.batching).toBe('off (maxBatchSize 1)');
  }, 120_000);

  it('a stack running the asked policy passes, and its results say what it ran', async () => {
    const r = await verified(16, '16');
    expect(r.status).toBe('ok');
    expect(r.verification?.[0]).toEqual({ id: 'runs the batching policy the run asks', ok: true });
    expect(r.backendInfo?.batching).toBe('maxBatchSize 16, maxQueueDelayUs 500');
  }, 120_000);
});

describe('the Python peers run the batching a run asks (issue 27)', () => {
  it.each(['fastapi+ort', 'flask+ort'])(
    '%s with the run asking MAX_BATCH_SIZE 8 reports it and passes verification, embeddings included',
    async (id) => {
      const [spec] = filterStacks(stacks, [id]);
      const r = await verified(8, undefined, spec);
      expect(r.reason).toBeUndefined();
      expect(r.status).toBe('ok');
      expect(r.backendInfo?.batching).toBe('maxBatchSize 8, maxQueueDelayUs 500');
    },
    120_000,
  );
});
