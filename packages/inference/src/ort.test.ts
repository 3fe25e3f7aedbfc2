import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureModel } from '@servebench/model';
import { describe, expect, it } from 'vitest';
import { BackendError } from './backend.js';
import { packBatch } from './batch.js';
import { OrtBackend } from './ort.js';

const root = mkdtempSync(join(tmpdir(), 'servebench-ort-'));
const batch = packBatch([
  [101, 7592, 2088, 102],
  [101, 2023, 2003, 1037, 3231, 1012, 102],
]);

describe('OrtBackend', () => {
  it('gives the same embeddings on a worker thread as on the main thread', async () => {
    const files = await ensureModel('tiny', { root });
    const opts = { modelPath: files.onnx, device: 'cpu' as const, intraOpThreads: 1, interOpThreads: 1 };
    const main = new OrtBackend({ ...opts, thread: 'main' });
    const worker = new OrtBackend({ ...opts, thread: 'worker' });
    await Promise.all([main.load(), worker.load()]);
    const [a, b] = await Promise.all([main.embed(batch), worker.embed(batch)]);
    expect(b.dim).toBe(files.config.hiddenSize);
    expect(b.batch).toBe(2);
    expect(Array.from(b.data)).toEqual(Array.from(a.data));
    expect(worker.info().session_thread).toBe('worker');
    // Two calls in flight on the model thread (the second waits in its inbox): the same bits as one at a time.
    expect([main.concurrency, worker.concurrency]).toEqual([1, 2]);
    const other = packBatch([[101, 2023, 102]]);
    const [c, d] = await Promise.all([worker.embed(other), worker.embed(batch)]);
    expect(Array.from(d.data)).toEqual(Array.from(a.data));
    expect(Array.from(c.data)).toEqual(Array.from((await main.embed(other)).data));
    await Promise.all([main.close(), worker.close()]);
    await expect(worker.embed(batch)).rejects.toThrow(BackendError);
  });

  it('refuses CUDA on a machine without a GPU, with a clear error', async () => {
    const files = await ensureModel('tiny', { root });
    const cuda = new OrtBackend({ modelPath: files.onnx, device: 'cuda', intraOpThreads: 1, interOpThreads: 1 });
    await expect(cuda.load()).rejects.toThrow(/DEVICE=cuda was requested but/);
  });

  it('reports a model that cannot be loaded as a configuration error', async () => {
    const broken = new OrtBackend({
      modelPath: join(root, 'missing.onnx'),
      device: 'cpu',
      intraOpThreads: 1,
      interOpThreads: 1,
    });
    await expect(broken.load()).rejects.toMatchObject({ code: 'BACKEND_CONFIG' });
  });
});
