#!/usr/bin/env node
// Stages the build context of the Node server image, offline: every built Node server workspace and the
// runner (for the load agents) plus the runtime closure of its dependencies (dependencies, installed optionalDependencies and
// peerDependencies, resolved the way Node resolves them), laid out at the same paths as in the
// repo so that node_modules lookups and workspace symlinks work unchanged. Dev tools (typescript,
// vitest, turbo, ...) and other platforms' native binaries are left out.
//   node compose/scripts/stage.mjs --out <dir> [--servers fastify,express]
// Writes <dir>/app/** and <dir>/app/.servebench-stage.json (what went in, and how big).
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const args = process.argv.slice(2);
const flag = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const out = flag('--out');
if (!out) {
  process.stderr.write('usage: node compose/scripts/stage.mjs --out <dir> [--servers a,b]\n');
  process.exit(2);
}
const only = flag('--servers')?.split(',').filter(Boolean);
const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'));

/** Node server workspaces, as the runner discovers them: a "servebench" block whose start command is node. */
async function nodeServers() {
  const discovery = join(root, 'runner', 'dist', 'discover.js');
  if (!existsSync(discovery)) throw new Error(`${relative(root, discovery)} is missing; run: npx turbo run build`);
  const { discoverServers } = await import(pathToFileURL(discovery).href);
  return discoverServers(root)
    .filter((s) => s.start[0] === 'node')
    .filter((s) => !only || only.includes(s.id));
}

/** Node's lookup: <from>/node_modules/<name>, then each ancestor's, up to the repo root. */
function lookup(from, name) {
  for (let d = from; ; d = dirname(d)) {
    const p = join(d, 'node_modules', name);
    if (existsSync(join(p, 'package.json'))) return p;
    if (d === root || dirname(d) === d) return undefined;
  }
}

const packages = new Set(); // real package dirs to copy
const links = new Set(); // node_modules entries that are symlinks (workspace packages)
function visit(realDir) {
  if (packages.has(realDir)) return;
  packages.add(realDir);
  const pkg = readJson(join(realDir, 'package.json'));
  // Optional peers (e.g. the contract's vitest entry point) are the caller's business, not the servers'.
  const peers = Object.keys(pkg.peerDependencies ?? {}).filter((n) => !pkg.peerDependenciesMeta?.[n]?.optional);
  const optional = new Set([...Object.keys(pkg.optionalDependencies ?? {}), ...peers]);
  const names = new Set([...Object.keys(pkg.dependencies ?? {}), ...optional]);
  for (const name of names) {
    const at = lookup(realDir, name);
    if (!at) {
      if (optional.has(name)) continue; // not installed here (e.g. @tensorflow/tfjs-node offline)
      throw new Error(`${relative(root, realDir)} depends on ${name}, which is not installed; run npm ci first`);
    }
    if (lstatSync(at).isSymbolicLink()) links.add(at);
    visit(realpathSync(at));
  }
}

const servers = await nodeServers();
if (servers.length === 0) throw new Error(`no Node server workspace matches ${only?.join(',') ?? '(all)'}`);
for (const s of servers) {
  if (!existsSync(join(s.dir, 'dist')))
    throw new Error(`${relative(root, s.dir)} is not built (no dist/); run: npx turbo run build`);
  visit(realpathSync(s.dir));
}
// The runner too: the Kubernetes load-agent Job runs `node /app/runner/dist/cli.js agent` in this image.
const runner = join(root, 'runner');
if (!existsSync(join(runner, 'dist', 'cli.js')))
  throw new Error('runner is not built (no dist/); run: npx turbo run build');
visit(realpathSync(runner));
for (const p of packages) {
  if (!p.startsWith(root + sep)) throw new Error(`${p} lies outside the repo; cannot stage it`);
}

// Dead weight: other platforms' native builds; in the repo's own workspaces also dot folders at any
// depth (.venv, .turbo, .pytest_cache: a workspace may hold a Python venv of its own), caches and benches.
const SKIP_IN_WORKSPACE = new Set(['node_modules', '__pycache__', 'bench', 'test-fixtures', 'coverage']);
const FOREIGN_NATIVE = /\/bin\/napi-v\d+\/(darwin|win32|linux\/arm64)(\/|$)/;
const app = join(resolve(out), 'app');
rmSync(app, { recursive: true, force: true });
mkdirSync(app, { recursive: true });
let bytes = 0;
let files = 0;
for (const p of [...packages].sort()) {
  const dest = join(app, relative(root, p));
  const workspace = !relative(root, p).split(sep).includes('node_modules');
  cpSync(p, dest, {
    recursive: true,
    verbatimSymlinks: true,
    filter: (src) => {
      const rel = src.slice(p.length);
      if (rel === '') return true;
      const parts = rel.split('/').slice(1);
      const base = parts[parts.length - 1];
      // A package's own node_modules: its entries are staged separately, as the closure found them.
      if (parts.length === 1 && base === 'node_modules') return false;
      if (workspace && parts.some((x) => x.startsWith('.') || SKIP_IN_WORKSPACE.has(x))) return false;
      if (base.endsWith('.tsbuildinfo')) return false;
      if (FOREIGN_NATIVE.test(rel)) return false;
      const st = lstatSync(src);
      if (st.isFile()) {
        bytes += st.size;
        files += 1;
      }
      return true;
    },
  });
}
for (const l of links) {
  const dest = join(app, relative(root, l));
  mkdirSync(dirname(dest), { recursive: true });
  symlinkSync(readlinkSync(l), dest);
}
cpSync(join(here, '..', 'node', 'healthcheck.mjs'), join(app, 'healthcheck.mjs'));
// The runner finds its repo root by turbo.json and the workspaces by the root package.json.
for (const f of ['package.json', 'turbo.json']) cpSync(join(root, f), join(app, f));

let commit = 'unknown';
try {
  commit = execFileSync('git', ['-C', root, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
} catch {
  // not a git checkout
}
const manifest = {
  commit,
  servers: servers.map((s) => ({ id: s.id, dir: relative(root, s.dir), start: s.start })),
  packages: [...packages].map((p) => relative(root, p)).sort(),
  files,
  bytes,
};
writeFileSync(join(app, '.servebench-stage.json'), `${JSON.stringify(manifest, null, 2)}\n`);
process.stderr.write(
  `stage.mjs: ${manifest.servers.map((s) => s.id).join(', ')}: ${packages.size} packages, ${files} files, ${(bytes / 1e6).toFixed(1)} MB -> ${app}\n`,
);
