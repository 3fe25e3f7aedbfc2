import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { join } from 'node:path';

export interface Environment {
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  kernel: string;
  node: string;
  packages: Record<string, string>;
  git: { commit: string; dirty: boolean };
  hostname: string;
}

/** Versions that change results; resolved from where the servers import them. */
const PACKAGES = ['onnxruntime-node', 'express', 'fastify', 'hono', '@hono/node-server', 'prom-client', 'typescript'];

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
  const require = createRequire(join(root, 'package.json'));
  const packages: Record<string, string> = {};
  for (const name of PACKAGES) {
    try {
      packages[name] = (
        JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as { version: string }
      ).version;
    } catch {
      packages[name] = 'not installed';
    }
  }
  return {
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism(),
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: osName(),
    kernel: os.release(),
    node: process.version,
    packages,
    git: { commit: git(root, 'rev-parse', 'HEAD') || 'unknown', dirty: git(root, 'status', '--porcelain').length > 0 },
    hostname: os.hostname(),
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
