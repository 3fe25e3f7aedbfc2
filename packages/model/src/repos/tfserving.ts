import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ModelFiles } from '../files.js';

/** packages/model/python: the SavedModel export script, its pinned requirements and its check. */
export const PYTHON_DIR = fileURLToPath(new URL('../../python', import.meta.url));
export const EXPORT_SCRIPT = join(PYTHON_DIR, 'export_savedmodel.py');

export interface TfServingRepo {
  /** What `tensorflow_model_server --model_base_path` takes: holds the numeric version folders. */
  basePath: string;
  modelName: string;
  version: number;
}

/** The Python with TensorFlow: SERVEBENCH_TF_PYTHON, else the venv check-savedmodel.sh makes. */
export function tfPython(env: Record<string, string | undefined> = process.env): string | undefined {
  if (env.SERVEBENCH_TF_PYTHON) return env.SERVEBENCH_TF_PYTHON;
  const venv = join(PYTHON_DIR, '.venv', 'bin', 'python');
  return existsSync(venv) ? venv : undefined;
}

/**
 * Ensures a TF Serving SavedModel of a forged model at `<root>/<model>/1`, exporting it with
 * TensorFlow (python/export_savedmodel.py) unless one made from the same ONNX bytes is there.
 */
export async function ensureTfServingRepo(
  files: ModelFiles,
  root: string,
  opts: { modelName?: string; python?: string } = {},
): Promise<TfServingRepo> {
  const modelName = opts.modelName ?? 'bert';
  const basePath = join(root, modelName);
  const stamp = join(basePath, 'servebench.json');
  const repo = { basePath, modelName, version: 1 };
  try {
    const s = JSON.parse(readFileSync(stamp, 'utf8')) as { sha256?: string };
    if (s.sha256 === files.sha256 && existsSync(join(basePath, '1', 'saved_model.pb'))) return repo;
  } catch {
    // no export yet
  }
  const python = opts.python ?? tfPython();
  if (!python) {
    throw new Error(
      `TFSERVING_NO_TENSORFLOW: exporting a SavedModel needs TensorFlow; run packages/model/python/check-savedmodel.sh once (it makes ${join(PYTHON_DIR, '.venv')}) or set SERVEBENCH_TF_PYTHON`,
    );
  }
  const args = [EXPORT_SCRIPT, '--onnx', files.onnx, '--out', root, '--model', modelName];
  const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const child = spawn(python, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (c: Buffer) => {
      output = (output + c.toString()).slice(-4000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.once('error', reject);
    child.once('exit', (c) => resolve({ code: c, output }));
  });
  if (code !== 0)
    throw new Error(
      `TFSERVING_EXPORT_FAILED: ${python} ${args.join(' ')} exited with ${code}:\n${output.slice(-1500)}`,
    );
  return repo;
}
