import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureModel, type ModelFiles } from '@servebench/model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeRunTritonRepo } from './triton.js';

let root: string;
let files: ModelFiles;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'servebench-triton-repo-'));
  files = await ensureModel('tiny', { root: join(root, 'models') });
});
afterAll(() => rm(root, { recursive: true, force: true }));

const configOf = async (maxBatchSize: number, maxQueueDelayUs: number) =>
  readFile((await writeRunTritonRepo({ files, maxBatchSize, maxQueueDelayUs, intraOpThreads: 1 })).configPbtxt, 'utf8');

describe("the run's Triton repository follows the run's batching policy", () => {
  it('batching off (max batch size 1): no dynamic_batching block, so Triton merges no requests', async () => {
    const text = await configOf(1, 2000);
    expect(text).not.toContain('dynamic_batching');
    // The batch dimension still takes the contract's largest request (64 texts) in one execution.
    expect(text).toContain('max_batch_size: 64\n');
  });

  it("batching on: the run's queue delay, and its max batch size as the size Triton cuts a batch at", async () => {
    const text = await configOf(16, 500);
    expect(text).toContain(
      'dynamic_batching {\n  max_queue_delay_microseconds: 500\n  preferred_batch_size: [ 16 ]\n}',
    );
    expect(text).toContain('max_batch_size: 64\n');
    const big = await configOf(128, 0);
    expect(big).toContain('max_batch_size: 128\n');
    expect(big).toContain('dynamic_batching {\n  max_queue_delay_microseconds: 0\n  preferred_batch_size: [ 128 ]\n}');
  });
});
