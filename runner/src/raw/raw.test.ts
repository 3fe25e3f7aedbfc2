// The raw row in a child process pinned to one CPU (as placement runs it on the server set).
import { sentences } from '@servebench/contract';
import { ensureModel } from '@servebench/model';
import { describe, expect, it } from 'vitest';
import { availableCpus } from '../placement/cpus.js';
import { runRaw } from './index.js';

describe('runRaw with cpus', () => {
  it('measures predict in a pinned child and counts completions into windows', async () => {
    const files = await ensureModel('tiny', { seed: 0 });
    const cpus = availableCpus();
    const r = await runRaw({
      task: 'predict',
      onnx: files.onnx,
      vocab: files.vocab,
      maxLength: files.config.maxPositions,
      intraOpThreads: 1,
      texts: sentences('short').slice(0, 8),
      concurrency: 1,
      warmupMs: 200,
      durationMs: 600,
      windowMs: 200,
      cpus: [cpus[cpus.length - 1]!],
    });
    expect(r.successes).toBeGreaterThan(0);
    expect(r.windows).toHaveLength(3);
    expect(r.windows.reduce((a, w) => a + w.successes, 0)).toBe(r.successes);
  }, 120_000);
});
