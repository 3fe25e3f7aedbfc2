import { copyFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { INPUT_NAMES, OUTPUT_NAME } from '../graph.js';
import type { ModelFiles } from '../files.js';

/** What a Triton repository's config.pbtxt says beyond the graph's own inputs and outputs. */
export interface TritonRepoOptions {
  /** Model name in the repository (default `bert`). */
  modelName?: string;
  /** Rows per request and per model execution (the batch dimension); at least the largest request (the contract's 64 texts). */
  maxBatchSize: number;
  /**
   * Triton's dynamic batcher, which merges concurrent requests into one model execution. Absent: no
   * `dynamic_batching` block, so every request is its own execution (batching off).
   */
  dynamicBatching?: TritonDynamicBatching;
  /** instance_group count on CPU. */
  instances?: number;
  /** ORT intra_op_thread_count (the same thread budget the in-process stacks get). */
  intraOpThreads?: number;
}

export interface TritonDynamicBatching {
  /** dynamic_batching.max_queue_delay_microseconds. */
  maxQueueDelayUs: number;
  /** dynamic_batching.preferred_batch_size: Triton cuts a batch at the largest of these it can form. */
  preferredBatchSizes?: readonly number[];
}

export interface TritonRepo {
  /** The repository root, what `tritonserver --model-repository` takes. */
  root: string;
  modelName: string;
  configPbtxt: string;
  onnx: string;
}

/**
 * config.pbtxt for Triton's onnxruntime backend: the graph's int64 [batch, seq] inputs and float32
 * [batch, hidden] output (batch dimension implied by max_batch_size), and a dynamic_batching block
 * only when o.dynamicBatching is given (without it Triton runs each request alone).
 * modelservers/triton/serve.py reads the same file and derives a Python-backend copy of it.
 */
export function tritonConfigPbtxt(hiddenSize: number, o: TritonRepoOptions): string {
  const name = o.modelName ?? 'bert';
  if (!Number.isInteger(o.maxBatchSize) || o.maxBatchSize < 1)
    throw new Error(`TRITON_REPO_BAD_OPTION: maxBatchSize ${o.maxBatchSize} must be an integer >= 1`);
  const db = o.dynamicBatching;
  if (db && (!Number.isInteger(db.maxQueueDelayUs) || db.maxQueueDelayUs < 0))
    throw new Error(`TRITON_REPO_BAD_OPTION: maxQueueDelayUs ${db.maxQueueDelayUs} must be an integer >= 0`);
  const preferred = db?.preferredBatchSizes ?? [];
  if (preferred.some((n) => !Number.isInteger(n) || n < 1 || n > o.maxBatchSize)) {
    throw new Error(
      `TRITON_REPO_BAD_OPTION: preferredBatchSizes ${JSON.stringify(preferred)} must be integers in [1, ${o.maxBatchSize}]`,
    );
  }
  const threads = String(o.intraOpThreads ?? 1);
  const input = INPUT_NAMES.map((n) => `  {\n    name: "${n}"\n    data_type: TYPE_INT64\n    dims: [ -1 ]\n  }`).join(
    ',\n',
  );
  return [
    `name: "${name}"`,
    'backend: "onnxruntime"',
    `max_batch_size: ${o.maxBatchSize}`,
    `input [\n${input}\n]`,
    `output [\n  {\n    name: "${OUTPUT_NAME}"\n    data_type: TYPE_FP32\n    dims: [ ${hiddenSize} ]\n  }\n]`,
    ...(db
      ? [
          `dynamic_batching {\n  max_queue_delay_microseconds: ${db.maxQueueDelayUs}${preferred.length ? `\n  preferred_batch_size: [ ${preferred.join(', ')} ]` : ''}\n}`,
        ]
      : []),
    `instance_group [\n  {\n    count: ${o.instances ?? 1}\n    kind: KIND_CPU\n  }\n]`,
    `parameters {\n  key: "intra_op_thread_count"\n  value: { string_value: "${threads}" }\n}`,
    'parameters {\n  key: "inter_op_thread_count"\n  value: { string_value: "1" }\n}',
    '',
  ].join('\n');
}

/**
 * Writes `<root>/<model>/1/model.onnx` and `<root>/<model>/config.pbtxt` from a forged model.
 * Rewrites config.pbtxt every time (options change between runs) and copies the ONNX file only
 * when it differs, so concurrent readers never see a partial file.
 */
export async function writeTritonRepo(files: ModelFiles, root: string, o: TritonRepoOptions): Promise<TritonRepo> {
  const modelName = o.modelName ?? 'bert';
  const modelDir = join(root, modelName);
  const onnx = join(modelDir, '1', 'model.onnx');
  const configPbtxt = join(modelDir, 'config.pbtxt');
  await mkdir(join(modelDir, '1'), { recursive: true });
  const same = await Promise.all([readFile(onnx).catch(() => undefined), readFile(files.onnx)]).then(
    ([a, b]) => a !== undefined && a.equals(b),
  );
  if (!same) {
    const tmp = `${onnx}.${process.pid}.tmp`;
    await copyFile(files.onnx, tmp);
    await rename(tmp, onnx);
  }
  const tmp = `${configPbtxt}.${process.pid}.tmp`;
  await writeFile(tmp, tritonConfigPbtxt(files.config.hiddenSize, { ...o, modelName }));
  await rename(tmp, configPbtxt);
  await writeFile(
    join(modelDir, 'servebench.json'),
    `${JSON.stringify({ source: files.onnx, sha256: files.sha256, model: files.config.name, seed: files.seed }, null, 2)}\n`,
  );
  return { root, modelName, configPbtxt, onnx };
}
