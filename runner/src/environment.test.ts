import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { discoverServers, repoRoot } from './discover.js';
import { captureEnvironment, packageVersions } from './environment.js';

const semver = /^\d+\.\d+\.\d+/;

describe('environment stamp', () => {
  it('takes framework versions from discovery: every server framework and the shared runtime packages', () => {
    const root = repoRoot();
    const versions = packageVersions(root);
    for (const s of discoverServers(root)) {
      for (const name of Object.keys(s.frameworks ?? {})) {
        const key = s.language === 'python' ? `${name} (python)` : name;
        expect(versions, `${s.id}: ${key}`).toHaveProperty([key]);
        if (s.language !== 'python') expect(versions[key], `${s.id}: ${key}`).toMatch(semver);
      }
    }
    // Once missing or wrong in the hand-kept list: grpc-js and tfjs were left out, hono was "not installed".
    for (const name of ['@grpc/grpc-js', '@tensorflow/tfjs-core', 'hono', 'onnxruntime-node', 'prom-client'])
      expect(versions[name], name).toMatch(semver);
  });

  it('records a new server workspace without any edit to the runner', () => {
    const root = mkdtempSync(join(tmpdir(), 'servebench-env-'));
    writeFileSync(join(root, 'package.json'), JSON.stringify({ workspaces: ['servers/*'] }));
    const dir = join(root, 'servers', 'fresh');
    mkdirSync(join(dir, 'node_modules', 'fresh-framework'), { recursive: true });
    const block = { id: 'fresh', protocol: 'http', start: ['node', 'x.js'], backends: ['ort'] };
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({ servebench: block, dependencies: { 'fresh-framework': '^3', gone: '^1' } }),
    );
    writeFileSync(join(dir, 'node_modules', 'fresh-framework', 'package.json'), JSON.stringify({ version: '3.2.1' }));
    expect(packageVersions(root)).toMatchObject({ 'fresh-framework': '3.2.1', gone: 'not installed' });
  });

  it('calls a commit dirty for changed code, not for the results, README and docs/results.md tables the runner writes', () => {
    const root = mkdtempSync(join(tmpdir(), 'servebench-git-'));
    const git = (...args: string[]) => execFileSync('git', args, { cwd: root, stdio: 'ignore' });
    writeFileSync(join(root, 'README.md'), 'tables\n');
    mkdirSync(join(root, 'docs'));
    writeFileSync(join(root, 'docs', 'results.md'), 'tables\n');
    writeFileSync(join(root, 'code.ts'), 'x\n');
    writeFileSync(join(root, 'package.json'), JSON.stringify({ workspaces: [] }));
    git('init', '-q');
    git('add', '.');
    git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'c');
    expect(captureEnvironment(root).git.dirty).toBe(false);
    mkdirSync(join(root, 'results', 'run'), { recursive: true });
    writeFileSync(join(root, 'results', 'run', 'results.md'), 'numbers\n');
    writeFileSync(join(root, 'README.md'), 'new tables\n');
    writeFileSync(join(root, 'docs', 'results.md'), 'new tables\n');
    expect(captureEnvironment(root).git.dirty).toBe(false);
    writeFileSync(join(root, 'code.ts'), 'y\n');
    expect(captureEnvironment(root).git.dirty).toBe(true);
  });
});
