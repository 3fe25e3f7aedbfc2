import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { discoverServers, pythonRequirements, type ServerSpec } from './discover.js';

export interface Environment {
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  kernel: string;
  node: string;
  packages: Record<string, string>;
  git: { commit: string; dirty: boolean };
  /** No longer recorded (publishing hygiene: results name no machine); old runs have it. */
  hostname?: string;
}

/** Node's lookup: <from>/node_modules/<name>/package.json, then each ancestor's, up to the repo root. */
function installed(from: string, name: string, root: string): string | undefined {
  for (let d = from; ; d = dirname(d)) {
    const p = join(d, 'node_modules', name, 'package.json');
    if (existsSync(p)) return p;
    if (d === root || dirname(d) === d) return undefined;
  }
}

const readPkg = (file: string) =>
  JSON.parse(readFileSync(file, 'utf8')) as { version?: string; dependencies?: Record<string, string> };

/** A Python package's version in a server's own .venv (from its dist-info folder), if installed. */
function pythonVersion(dir: string, name: string): string | undefined {
  const lib = join(dir, '.venv', 'lib');
  if (!existsSync(lib)) return undefined;
  const want = name.toLowerCase().replace(/[-_.]+/g, '_');
  for (const py of readdirSync(lib)) {
    const site = join(lib, py, 'site-packages');
    if (!existsSync(site)) continue;
    for (const e of readdirSync(site)) {
      const m = /^(.+)-([^-]+)\.dist-info$/.exec(e);
      if (m && m[1]!.toLowerCase().replace(/[-_.]+/g, '_') === want) return m[2];
    }
  }
  return undefined;
}

/**
 * Versions that change results, from discovery: every discovered server's frameworks as installed
 * where the server imports them, and the runtime packages of the monorepo packages it depends on
 * (the shared core, inference: onnxruntime-node, tfjs, prom-client, ...); Python servers' top-level
 * requirements from their own venv, as `name (python)`; and the TypeScript compiler. No list to keep.
 */
export function packageVersions(root: string, servers: ServerSpec[] = discoverServers(root)): Record<string, string> {
  const out: Record<string, string> = {};
  const seen = new Set<string>();
  const visit = (dir: string, deps: Record<string, string>) => {
    for (const name of Object.keys(deps)) {
      const at = installed(dir, name, root);
      if (name.startsWith('@servebench/')) {
        const real = at && dirname(realpathSync(at));
        if (real && !seen.has(real)) {
          seen.add(real);
          visit(real, readPkg(join(real, 'package.json')).dependencies ?? {});
        }
        continue;
      }
      out[name] ??= (at && readPkg(at).version) || 'not installed';
    }
  };
  for (const s of servers) {
    if (s.language === 'python') {
      for (const name of Object.keys(pythonRequirements(s.dir, { includes: true })))
        out[`${name} (python)`] ??= pythonVersion(s.dir, name) ?? 'not installed';
      continue;
    }
    const pkg = join(s.dir, 'package.json');
    visit(s.dir, existsSync(pkg) ? (readPkg(pkg).dependencies ?? {}) : {});
  }
  const ts = installed(root, 'typescript', root);
  out.typescript = (ts && readPkg(ts).version) || 'not installed';
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

/** Changes that make a run's code differ from its commit: not the runner's own outputs (results/ and the
 * README and docs/results.md tables it renders), or a bench:perf run right after a quick run would call its commit dirty. */
const DIRTY = [
  'status',
  '--porcelain',
  '--',
  '.',
  ':(exclude)results',
  ':(exclude)README.md',
  ':(exclude)docs/results.md',
];

function git(root: string, ...args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

function osName(): string {
  try {
    const m = /^PRETTY_NAME="?([^"\n]+)"?/m.exec(readFileSync('/etc/os-release', 'utf8'));
    if (m) return m[1]!;
  } catch {
    // not Linux
  }
  return `${os.type()} ${os.release()}`;
}

export function captureEnvironment(root: string): Environment {
  const packages = packageVersions(root);
  return {
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    // All online CPUs, not availableParallelism(): the runner may be pinned to the load set by now.
    cores: os.cpus().length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: osName(),
    kernel: os.release(),
    node: process.version,
    packages,
    git: { commit: git(root, 'rev-parse', 'HEAD') || 'unknown', dirty: git(root, ...DIRTY).length > 0 },
  };
}

/** One line for every table: what machine, versions and commit made it. */
export function machineStamp(e: Environment): string {
  const pk = Object.entries(e.packages)
    .filter(([, v]) => v !== 'not installed')
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  return `${e.cpu}, ${e.cores} cores, ${e.memoryGiB} GiB, ${e.os}, Node ${e.node}; ${pk}; commit ${e.git.commit.slice(0, 12)}${e.git.dirty ? ' (dirty)' : ''}`;
}
