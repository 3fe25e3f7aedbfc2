#!/usr/bin/env node
// The `build` of a Python server workspace: `node ../python-common/build-venv.mjs` (cwd = workspace);
// packages/schemathesis uses it too, with `--min-python=3.11`.
// Installs ./.venv from ./requirements.txt (every package pinned with hashes) and stamps it, so a
// second build is a no-op. Without python3 >= 3.9 it warns, records why in .venv/UNAVAILABLE (the
// start script turns that into exit 78, "cannot run here") and exits 0.
//
// pip only bootstraps uv (bootstrap.txt, also hash-pinned); uv then installs the rest with
// parallel downloads: about 10 s from scratch instead of 40 s with pip alone on the CI machine.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const STAMP_VERSION = 1;
// `--min-python=3.11` raises the floor for a workspace whose requirements need a newer Python.
const minArg = process.argv.find((a) => a.startsWith('--min-python='));
const MIN_PYTHON = minArg ? minArg.slice('--min-python='.length).split('.').map(Number) : [3, 9];
const common = dirname(fileURLToPath(import.meta.url));
const ws = process.cwd();
const name = basename(ws);
const venv = join(ws, '.venv');
const venvPython = join(venv, 'bin', 'python');
const stampFile = join(venv, '.servebench-stamp');
const requirements = join(ws, 'requirements.txt');
const bootstrap = join(common, 'bootstrap.txt');
const say = (msg) => process.stderr.write(`${name}: ${msg}\n`);

/** The first interpreter that runs, with its version and real path; or why none fits. */
function findPython() {
  const candidates = [process.env.SERVEBENCH_PYTHON, 'python3', 'python'].filter(Boolean);
  const seen = [];
  for (const cmd of candidates) {
    const r = spawnSync(cmd, ['-c', 'import sys; print(sys.version_info[0], sys.version_info[1], sys.executable)'], {
      encoding: 'utf8',
    });
    if (r.status !== 0) continue;
    const [major, minor, ...exe] = r.stdout.trim().split(' ');
    const version = [Number(major), Number(minor)];
    if (version[0] > MIN_PYTHON[0] || (version[0] === MIN_PYTHON[0] && version[1] >= MIN_PYTHON[1])) {
      return { cmd, exe: exe.join(' '), version: version.join('.') };
    }
    seen.push(`${cmd} is ${version.join('.')}`);
  }
  return {
    missing: `python3 >= ${MIN_PYTHON.join('.')} was not found (${seen.length ? seen.join(', ') : `tried ${candidates.join(', ')}`}); install it and rebuild, or set SERVEBENCH_PYTHON`,
  };
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: opts.quiet ? 'pipe' : ['ignore', 'inherit', 'inherit'], encoding: 'utf8' });
  if (r.status !== 0 && !opts.allowFail) {
    if (opts.quiet) process.stderr.write(`${r.stdout ?? ''}${r.stderr ?? ''}`);
    say(`failed: ${cmd} ${args.join(' ')}`);
    process.exit(1);
  }
  return r.status === 0;
}

const sha = (file) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** Not an error for the monorepo: the stack is reported as skipped, with this reason. */
function unavailable(reason) {
  say(`WARNING: ${reason}. The ${name} stack will be skipped.`);
  rmSync(venv, { recursive: true, force: true });
  mkdirSync(venv, { recursive: true });
  writeFileSync(join(venv, 'UNAVAILABLE'), `${reason}\n`);
  process.exit(0);
}

const py = findPython();
if (py.missing) unavailable(py.missing);

const stamp = JSON.stringify({
  v: STAMP_VERSION,
  python: py.exe,
  version: py.version,
  requirements: sha(requirements),
  bootstrap: sha(bootstrap),
});
if (existsSync(venvPython) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) {
  say(`.venv is up to date (Python ${py.version})`);
  process.exit(0);
}

const t0 = performance.now();
say(`installing .venv with Python ${py.version} (${py.exe}) from requirements.txt`);
rmSync(venv, { recursive: true, force: true });
run(py.exe, ['-m', 'venv', '--without-pip', venv]);
const pipArgs = [
  'install',
  '--quiet',
  '--disable-pip-version-check',
  '--require-hashes',
  '--no-deps',
  '--only-binary',
  ':all:',
  '-r',
  bootstrap,
];
// The interpreter's own pip (22.3+ has --python) saves seeding pip into the venv; ensurepip is the fallback.
if (!run(py.exe, ['-m', 'pip', '--python', venvPython, ...pipArgs], { quiet: true, allowFail: true })) {
  say('the base interpreter has no usable pip; seeding the venv with ensurepip');
  if (!run(venvPython, ['-m', 'ensurepip', '--default-pip'], { quiet: true, allowFail: true })) {
    unavailable(`${py.exe} has neither pip nor ensurepip (on Debian: apt-get install python3-venv)`);
  }
  run(venvPython, ['-m', 'pip', ...pipArgs]);
}
run(join(venv, 'bin', 'uv'), [
  // --system-certs: trust the machine's CA store (a TLS-intercepting proxy's CA lives there).
  'pip',
  'install',
  '--quiet',
  '--system-certs',
  '--python',
  venvPython,
  '--require-hashes',
  '--only-binary',
  ':all:',
  '--compile-bytecode',
  '-r',
  requirements,
]);
writeFileSync(stampFile, stamp);
say(`.venv installed in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
