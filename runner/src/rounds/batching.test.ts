import { describe, expect, it } from 'vitest';
import { askedPolicy, checkBatching } from './batching.js';

const run16 = askedPolicy({ MAX_BATCH_SIZE: '16', MAX_QUEUE_DELAY_US: '500' });
const off = askedPolicy({ MAX_BATCH_SIZE: '1', MAX_QUEUE_DELAY_US: '2000' });

describe('the verify step compares the batching policy a stack reports with the run (issue 27)', () => {
  it('refuses a stack that runs one request per call in a batched run, naming both numbers', () => {
    expect(checkBatching(run16, { maxBatchSize: 1, maxQueueDelayUs: 0 }).reason).toBe(
      'reports maxBatchSize 1 but the run asks 16',
    );
    expect(checkBatching(run16, { maxBatchSize: 16, maxQueueDelayUs: 0 }).reason).toBe(
      'reports maxQueueDelayUs 0 but the run asks 500',
    );
  });

  it('refuses a stack that merges requests when the run has batching off; the delay does not matter then', () => {
    expect(checkBatching(off, { maxBatchSize: 64, maxQueueDelayUs: 0 }).reason).toBe(
      'reports maxBatchSize 64 but the run asks 1',
    );
    expect(checkBatching(off, { maxBatchSize: 1, maxQueueDelayUs: 0 })).toEqual({ applied: 'off (maxBatchSize 1)' });
  });

  it('accepts the asked policy', () => {
    expect(checkBatching(run16, { maxBatchSize: 16, maxQueueDelayUs: 500 })).toEqual({
      applied: 'maxBatchSize 16, maxQueueDelayUs 500',
    });
  });

  it("a proxy's 'unknown' is checked against the model server the runner started, else recorded as unknown", () => {
    expect(checkBatching(run16, 'unknown', { maxBatchSize: 1, maxQueueDelayUs: 0 }).reason).toBe(
      "reports 'unknown' and its model server runs maxBatchSize 1 but the run asks 16",
    );
    expect(checkBatching(run16, 'unknown', { maxBatchSize: 16, maxQueueDelayUs: 500 })).toEqual({
      applied: 'model server maxBatchSize 16, maxQueueDelayUs 500',
    });
    expect(checkBatching(run16, 'unknown')).toEqual({
      applied: 'unknown (a proxy whose model server policy the runner does not know)',
    });
  });

  it('a proxy that batches itself must agree with the run, and so must its model server', () => {
    const asked = { maxBatchSize: 16, maxQueueDelayUs: 500 };
    expect(checkBatching(run16, asked, asked)).toEqual({
      applied: 'maxBatchSize 16, maxQueueDelayUs 500; model server maxBatchSize 16, maxQueueDelayUs 500',
    });
    expect(checkBatching(run16, asked, { maxBatchSize: 64, maxQueueDelayUs: 0 }).reason).toBe(
      'its model server runs maxBatchSize 64 but the run asks 16',
    );
    expect(
      checkBatching(off, { maxBatchSize: 1, maxQueueDelayUs: 0 }, { maxBatchSize: 64, maxQueueDelayUs: 0 }).reason,
    ).toBe('its model server runs maxBatchSize 64 but the run asks 1');
  });

  it('refuses a stack that reports nothing', () => {
    expect(checkBatching(off, undefined).reason).toMatch(/^reports no batching policy on \/readyz/);
  });
});
