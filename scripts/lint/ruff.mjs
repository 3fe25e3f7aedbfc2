#!/usr/bin/env node
// The Python half of `npm run lint`: builds scripts/lint/.venv (ruff, hash-pinned in requirements.txt) the way
// the Python servers build theirs (a no-op once built), then runs `ruff check` over the repository (ruff.toml
// at the root). Arguments go to ruff, e.g. `node scripts/lint/ruff.mjs --fix`.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const exit = (r) => process.exit(r.status ?? 1);

const build = spawnSync(process.execPath, [join(root, 'servers', 'python-common', 'build-venv.mjs')], {
  cwd: here,
  stdio: 'inherit',
});
if (build.status !== 0) exit(build);

// Without python3 the Python stacks are skipped, and so is their linting; CI has Python, so there it fails.
const unavailable = join(here, '.venv', 'UNAVAILABLE');
if (existsSync(unavailable)) {
  const why = readFileSync(unavailable, 'utf8').trim();
  process.stderr.write(`ruff: not run (${why})\n`);
  process.exit(process.env.CI ? 1 : 0);
}

exit(
  spawnSync(join(here, '.venv', 'bin', 'ruff'), ['check', ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' }),
);
