import { createRequire } from 'node:module';
import { ensureModel } from '@servebench/model';
import { describe, expect, it } from 'vitest';
import { BackendError } from '../backend.js';
import { createBackend } from '../factory.js';

const installed = (pkg: string): boolean => {
  try {
    createRequire(import.meta.url).resolve(pkg);
    return true;
  } catch {
    return false;
  }
};

const backend = async (id: string, device: 'cpu' | 'cuda' = 'cpu') => {
  const files = await ensureModel('tiny');
  return createBackend({ backend: id, modelPath: files.onnx, device, intraOpThreads: 1, interOpThreads: 1 });
};

const loadError = async (id: string, device: 'cpu' | 'cuda' = 'cpu'): Promise<BackendError> => {
  const err: unknown = await (await backend(id, device)).load().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(BackendError);
  expect((err as BackendError).code).toBe('BACKEND_CONFIG');
  return err as BackendError;
};

describe('TensorFlow.js runtime selection', () => {
  it.skipIf(installed('@tensorflow/tfjs-node'))('forcing tfjs-node without the package names the package', async () => {
    expect((await loadError('tfjs-node')).message).toMatch(/@tensorflow\/tfjs-node\b.*not installed/);
  });

  it.skipIf(installed('@tensorflow/tfjs-node-gpu'))(
    'forcing tfjs-node-gpu without the package names the package',
    async () => {
      expect((await loadError('tfjs-node-gpu')).message).toMatch(/@tensorflow\/tfjs-node-gpu.*not installed/);
    },
  );

  it('refuses DEVICE=cuda on a CPU-only runtime instead of ignoring it', async () => {
    expect((await loadError('tfjs-wasm', 'cuda')).message).toMatch(/tfjs-node-gpu/);
  });

  it('auto picks the first runtime that loads and says which one and why', async () => {
    const b = await backend('tfjs');
    await b.load();
    const info = b.info();
    const expected = installed('@tensorflow/tfjs-node') ? 'tfjs-node' : 'tfjs-wasm';
    expect(info.runtime).toMatch(new RegExp(`^${expected} \\d`));
    expect(info.selected_by).toBe('auto');
    expect(Number(info.threads)).toBeGreaterThanOrEqual(1);
    await b.close();
  }, 60_000);
});
