import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../discover.js';

// Compose for real, in CI: .ci/run installs docker.io, docker-compose and debootstrap, starts dockerd
// (no bridge, no iptables) and builds the images offline (compose/build.sh: node, python, triton). This
// test runs the smoke profile through --launcher compose and through the process launcher and checks both
// results have the same shape (compose/scripts/same-shape.mjs). fastify+triton-http runs Triton in a
// container of its own (servebench-triton) that the fastify container reaches over 127.0.0.1. In CI a
// Docker that cannot start fails the test; elsewhere it runs only with SERVEBENCH_COMPOSE_TEST=1.
const run = promisify(execFile);
const root = repoRoot();
const cli = join(root, 'runner', 'dist', 'cli.js');
const inCi = process.env.CI === 'true' || process.env.CI === '1';
const enabled = inCi || process.env.SERVEBENCH_COMPOSE_TEST === '1';
const STACKS = process.env.SERVEBENCH_COMPOSE_STACKS ?? 'fastify+ort,fastapi+ort,fastify+triton-http';
const IMAGES = ['servebench-node:local', 'servebench-python:local', 'servebench-triton:local'];

describe.runIf(enabled)('compose round trip (CI)', () => {
  it('docker answers and the servebench images exist', async () => {
    const info = await run('docker', ['info', '--format', '{{.ServerVersion}}']).catch((e: Error) => e);
    expect(info, 'dockerd is not answering: run sh compose/scripts/dockerd.sh (as root)').not.toBeInstanceOf(Error);
    for (const image of IMAGES) {
      const r = await run('docker', ['image', 'inspect', image]).catch((e: Error) => e);
      expect(r, `${image} missing: run sh compose/build.sh --python --triton`).not.toBeInstanceOf(Error);
    }
  }, 30_000);

  it('the node image carries the runner, whose agent command the Kubernetes load-agent Job runs', async () => {
    const r = await run('docker', [
      'run',
      '--rm',
      '--network',
      'none',
      '--entrypoint',
      'node',
      'servebench-node:local',
      '/app/runner/dist/cli.js',
      'agent',
      '--help',
    ]).catch((e: Error) => e);
    expect(r).not.toBeInstanceOf(Error);
    expect((r as { stdout: string }).stdout).toMatch(/Usage: servebench agent/);
  }, 60_000);

  it('the smoke profile through --launcher compose has the process launcher shape', async () => {
    const out = mkdtempSync(join(tmpdir(), 'servebench-compose-ci-'));
    const smoke = (launcher: string) =>
      run(
        process.execPath,
        [cli, 'run', '--profile', 'smoke', '--launcher', launcher, '--stacks', STACKS, '--no-raw', '--strict'].concat([
          '--no-capacity',
          // The calibration references always run as host processes (whatever the launcher): they add about
          // 40 s per run here and nothing to the comparison, which CI time pays for Triton instead.
          '--no-calibration',
          '--crosscheck',
          'none',
          '--out',
          join(out, launcher),
          '--run-id',
          launcher,
        ]),
        { cwd: root, maxBuffer: 1 << 26 },
      );
    await smoke('compose');
    await smoke('process');
    const shape = await run(process.execPath, [
      join(root, 'compose', 'scripts', 'same-shape.mjs'),
      join(out, 'process', 'process', 'results.json'),
      join(out, 'compose', 'compose', 'results.json'),
    ]).catch((e: Error & { stderr?: string }) => e);
    expect(shape instanceof Error ? shape.stderr : '').toBe('');
    expect((shape as { stdout: string }).stdout).toMatch(/same-shape: ok/);
    for (const id of STACKS.split(',')) expect((shape as { stdout: string }).stdout).toContain(`${id}:`);
    const composed = JSON.parse(readFileSync(join(out, 'compose', 'compose', 'results.json'), 'utf8')) as {
      stacks: Array<{
        id: string;
        backendInfo?: Record<string, string>;
        placement?: { applied: boolean; processes?: unknown[] };
      }>;
    };
    // --cpus (default server=0, load=1 here): every container's processes were read back inside the server set.
    for (const s of composed.stacks) {
      expect(s.placement?.applied, s.id).toBe(true);
      expect(s.placement?.processes?.length, s.id).toBeGreaterThan(0);
    }
    // Triton stacks: their model server ran in the triton container, reached over loopback.
    for (const s of composed.stacks.filter((x) => x.id.includes('+triton-'))) {
      expect(s.backendInfo?.launcher, s.id).toMatch(/container servebench-triton:/);
      expect(s.backendInfo?.model_server_url, s.id).toMatch(/^(http:\/\/)?127\.0\.0\.1:\d+$/);
    }
    const left = await run('docker', ['ps', '-aq', '--filter', 'name=servebench-']);
    expect(left.stdout.trim(), 'containers left behind').toBe('');
  }, 900_000);
});
