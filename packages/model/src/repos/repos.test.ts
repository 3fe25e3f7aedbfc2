import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureModel, type ModelFiles } from '../files.js';
import { ensureTfServingRepo, tfPython } from './tfserving.js';
import { tritonConfigPbtxt, writeTritonRepo } from './triton.js';

let root: string;
let files: ModelFiles;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'servebench-repos-'));
  files = await ensureModel('tiny', { root: join(root, 'models') });
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('Triton model repository', () => {
  it('config.pbtxt declares the graph tensors for the onnxruntime backend, with dynamic batching', () => {
    const text = tritonConfigPbtxt(128, {
      maxBatchSize: 64,
      dynamicBatching: { maxQueueDelayUs: 500, preferredBatchSizes: [8, 16] },
      instances: 2,
      intraOpThreads: 1,
    });
    expect(text).toContain('name: "bert"\nbackend: "onnxruntime"\nmax_batch_size: 64\n');
    for (const n of ['input_ids', 'attention_mask', 'token_type_ids'])
      expect(text).toContain(`name: "${n}"\n    data_type: TYPE_INT64\n    dims: [ -1 ]`);
    expect(text).toContain('name: "embedding"\n    data_type: TYPE_FP32\n    dims: [ 128 ]');
    expect(text).toContain(
      'dynamic_batching {\n  max_queue_delay_microseconds: 500\n  preferred_batch_size: [ 8, 16 ]\n}',
    );
    expect(text).toContain('count: 2\n    kind: KIND_CPU');
    expect(text).toContain('key: "intra_op_thread_count"\n  value: { string_value: "1" }');
    expect(tritonConfigPbtxt(128, { maxBatchSize: 4, dynamicBatching: { maxQueueDelayUs: 0 } })).not.toContain(
      'preferred_batch_size',
    );
  });

  it('has no dynamic_batching block without dynamicBatching: each request is its own execution', () => {
    const text = tritonConfigPbtxt(128, { maxBatchSize: 64 });
    expect(text).toContain('max_batch_size: 64\n');
    expect(text).not.toContain('dynamic_batching');
  });

  it.each([
    [{ maxBatchSize: 0 }, /maxBatchSize 0/],
    [{ maxBatchSize: 8, dynamicBatching: { maxQueueDelayUs: -1 } }, /maxQueueDelayUs -1/],
    [
      { maxBatchSize: 8, dynamicBatching: { maxQueueDelayUs: 0, preferredBatchSizes: [16] } },
      /preferredBatchSizes \[16\]/,
    ],
  ])('rejects %o', (o, msg) => {
    expect(() => tritonConfigPbtxt(128, o)).toThrow(msg);
  });

  it('writes <root>/<model>/1/model.onnx and config.pbtxt, and rewrites only the config on a second call', async () => {
    const repoRoot = join(root, 'triton');
    const r = await writeTritonRepo(files, repoRoot, { maxBatchSize: 64, dynamicBatching: { maxQueueDelayUs: 100 } });
    expect(r).toMatchObject({
      root: repoRoot,
      modelName: 'bert',
      onnx: join(repoRoot, 'bert', '1', 'model.onnx'),
      configPbtxt: join(repoRoot, 'bert', 'config.pbtxt'),
    });
    expect((await readFile(r.onnx)).equals(await readFile(files.onnx))).toBe(true);
    const before = (await stat(r.onnx)).mtimeMs;
    const again = await writeTritonRepo(files, repoRoot, { maxBatchSize: 32, modelName: 'bert' });
    expect((await stat(again.onnx)).mtimeMs).toBe(before);
    expect(await readFile(again.configPbtxt, 'utf8')).toContain('max_batch_size: 32');
    expect(JSON.parse(await readFile(join(repoRoot, 'bert', 'servebench.json'), 'utf8'))).toMatchObject({
      sha256: files.sha256,
      model: 'tiny',
    });
  });
});

describe('TF Serving repository', () => {
  it('says how to get TensorFlow when there is none, and reports a failed export', async () => {
    expect(tfPython({ SERVEBENCH_TF_PYTHON: '/opt/tf/bin/python' })).toBe('/opt/tf/bin/python');
    await expect(ensureTfServingRepo(files, join(root, 'tfs'), { python: process.execPath })).rejects.toThrow(
      /TFSERVING_EXPORT_FAILED: .* exited with/,
    );
  });
});
