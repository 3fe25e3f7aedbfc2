import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findTfServing, tfServingArgv, writeTfServingBatching } from './tfserving.js';

describe('TF Serving is never started listening on every interface', () => {
  it('refuses a tensorflow_model_server binary (0.0.0.0 is hard-coded), naming why', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tfs-standin-'));
    const standIn = join(dir, 'tensorflow_model_server'); // a stand-in: never run, only found on PATH
    writeFileSync(standIn, '#!/bin/sh\nexit 1\n');
    chmodSync(standIn, 0o755);
    const where = findTfServing({ PATH: dir });
    if ('image' in where) return; // a machine with a local tensorflow/serving image uses it (127.0.0.1 only)
    expect(where).not.toHaveProperty('binary');
    expect('reason' in where && where.reason).toMatch(/refused: .*every interface .*0\.0\.0\.0.*127\.0\.0\.1 only/);
  });
});

describe("TF Serving's command line follows the run's batching policy", () => {
  const run = mkdtempSync(join(tmpdir(), 'tfs-run-'));
  const argv = async (maxBatchSize: number, maxQueueDelayUs: number) => {
    const logFile = join(run, 'logs', `b${maxBatchSize}.modelserver.log`);
    const batchingFile = await writeTfServingBatching({ logFile, maxBatchSize, maxQueueDelayUs });
    return {
      batchingFile,
      argv: tfServingArgv({ image: 'tensorflow/serving', basePath: '/m/bert', grpcPort: 1, restPort: 2, batchingFile }),
    };
  };

  it('batching off: neither --enable_batching nor a parameters file', async () => {
    const off = await argv(1, 2000);
    expect(off.batchingFile).toBeUndefined();
    expect(off.argv.join(' ')).not.toMatch(/batching/);
    expect(off.argv.slice(off.argv.indexOf('tensorflow/serving'))).toEqual([
      'tensorflow/serving',
      '--port=8500',
      '--rest_api_port=8501',
      '--model_name=bert',
      '--model_base_path=/models/bert',
    ]);
  });

  it("batching on: --enable_batching and a parameters file in the run's folder with the run's numbers", async () => {
    const on = await argv(16, 500);
    expect(on.batchingFile).toBe(join(run, 'logs', 'b16.modelserver.batching_parameters.pbtxt'));
    expect(on.argv).toContain('--enable_batching=true');
    expect(on.argv).toContain('--batching_parameters_file=/config/batching_parameters.pbtxt');
    expect(on.argv).toContain(`${on.batchingFile}:/config/batching_parameters.pbtxt:ro`); // mounted into the container
    const text = readFileSync(on.batchingFile!, 'utf8');
    expect(text).toContain('max_execution_batch_size { value: 16 }');
    expect(text).toContain('batch_timeout_micros { value: 500 }');
    expect(text).toContain('num_batch_threads { value: 1 }');
    // A 64-text request is still accepted (split into executions of 16), as the contract requires.
    expect(text).toContain('max_batch_size { value: 64 }');
    expect(text).toContain('enable_large_batch_splitting { value: true }');
    expect(text).toContain('pad_variable_length_inputs: true');
  });
});
