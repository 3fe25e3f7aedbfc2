import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ModelFiles } from '@servebench/model';
import { describe, expect, it } from 'vitest';
import { discoverServers, filterStacks, repoRoot, stacksOf, type StackSpec } from '../discover.js';
import { envFileText, needsGpu, parseConfigImages, portVar, servicesOf, stackProject } from './compose-map.js';
import { prepareModelServer } from './compose-modelserver.js';
import { sumSamplers } from '../resources/sampler.js';
import { parseDockerStats, parseEngineStats, parseSize } from './compose-stats.js';
import { summarizeSeries, type Sampler } from '../resources/sampler.js';
import { composeLauncher } from './compose.js';
import { LaunchError } from './process.js';

const stack = (id: string, backend: string, compose?: string): StackSpec => ({
  id: `${id}+${backend}`,
  backend,
  server: {
    id,
    dir: '/x',
    protocol: 'http',
    start: ['node', 'dist/main.js'],
    backends: [backend],
    env: {},
    language: 'typescript',
    ...(compose ? { compose } : {}),
  },
});

/** A stand-in for a generated model's files: only what the Triton repository copies and reads. */
function standInModelFiles(dir: string): ModelFiles {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'model.onnx'), 'stand-in onnx');
  return {
    dir,
    onnx: join(dir, 'model.onnx'),
    seed: 0,
    sha256: 'stand-in',
    config: { name: 'tiny', hiddenSize: 32 },
  } as ModelFiles;
}

// `docker-compose config` (1.29) output, trimmed; v2 prints the same normalized layout.
const V1_CONFIG = `services:
  fastify:
    command:
    - node
    - dist/main.js
    environment:
      HOST: 127.0.0.1
      PORT: '8102'
    healthcheck:
      test:
      - CMD
      - node
    image: servebench-node:local
    network_mode: host
  triton:
    command:
    - /app/modelservers/triton/.venv/bin/python
    image: servebench-triton:local
    network_mode: host
version: '3.9'
`;

describe('compose launcher: pure parts', () => {
  it('maps a stack to its services, with a model server for proxy backends on the ports it is given', () => {
    expect(servicesOf(stack('fastify', 'ort', 'fastify'))).toEqual({ server: 'fastify' });
    expect(servicesOf(stack('hono', 'ort'))).toEqual({ server: 'hono' });
    const grpc = servicesOf(stack('express', 'triton-grpc', 'express')).modelServer!;
    expect(grpc.service).toBe('triton');
    expect(grpc.ports).toEqual(['TRITON_HTTP_PORT', 'TRITON_GRPC_PORT', 'TRITON_METRICS_PORT']);
    expect(grpc.url([41000, 41001, 41002])).toBe('127.0.0.1:41001');
    expect(servicesOf(stack('fastify', 'triton-http')).modelServer!.url([41000, 41001, 41002])).toBe(
      'http://127.0.0.1:41000',
    );
    const rest = servicesOf(stack('express', 'tfserving-rest', 'express')).modelServer!;
    expect(rest.service).toBe('tfserving');
    expect(rest.url([42000, 42001])).toBe('http://127.0.0.1:42001');
  });

  it('gives every stack its own compose project, so two stacks on one server never share a container', () => {
    expect(stackProject('servebench-42', 'fastify+ort')).toBe('servebench-42-fastify-ort');
    expect(stackProject('servebench-42', 'fastify+triton-http')).toBe('servebench-42-fastify-triton-http');
    expect(stackProject('servebench-42', 'Flask+ORT')).not.toBe(stackProject('servebench-42', 'fastify+ort'));
  });

  it("writes the run's Triton repository under the mounted models folder and points the server at its port", async () => {
    const models = mkdtempSync(join(tmpdir(), 'servebench-compose-models-'));
    const files = standInModelFiles(join(models, 'tiny-s0'));
    const ms = servicesOf(stack('fastify', 'triton-http')).modelServer!;
    const p = await prepareModelServer(ms, [41000, 41001, 41002], {
      modelsDir: models,
      config: { files, settings: { maxBatchSize: 1, maxQueueDelayUs: 2000, intraOpThreads: 1 } },
      image: 'servebench-triton:local',
    });
    expect(p.composeEnv).toEqual({
      TRITON_HTTP_PORT: '41000',
      TRITON_GRPC_PORT: '41001',
      TRITON_METRICS_PORT: '41002',
      TRITON_REPO: 'triton/tiny-s0',
    });
    expect(p.serverEnv).toEqual({ MODEL_SERVER_URL: 'http://127.0.0.1:41000', MODEL_SERVER_MODEL: 'bert' });
    // The repository the process launcher serves: the model copied, batching off as in the stacks (no dynamic batcher).
    expect(readFileSync(join(models, 'triton', 'tiny-s0', 'bert', '1', 'model.onnx'), 'utf8')).toBe('stand-in onnx');
    expect(readFileSync(join(models, 'triton', 'tiny-s0', 'bert', 'config.pbtxt'), 'utf8')).not.toMatch(
      /dynamic_batching/,
    );
    // A model outside the mounted folder cannot be served from the container.
    const elsewhere = standInModelFiles(join(mkdtempSync(join(tmpdir(), 'servebench-elsewhere-')), 'tiny-s0'));
    const err = await prepareModelServer(ms, [1, 2, 3], {
      modelsDir: models,
      config: { files: elsewhere, settings: { maxBatchSize: 1, maxQueueDelayUs: 0, intraOpThreads: 1 } },
      image: 'servebench-triton:local',
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LaunchError);
    expect((err as Error).message).toMatch(/outside/);
    // Without the run's model files a Triton stack cannot be launched (not skipped: a wiring error).
    await expect(prepareModelServer(ms, [1, 2, 3], { modelsDir: models, image: 'x' })).rejects.toThrow(/model files/);
  });

  it('picks the GPU override for -gpu backends and DEVICE=cuda only', () => {
    expect(needsGpu('tfjs-node-gpu', {})).toBe(true);
    expect(needsGpu('ort', { DEVICE: 'cuda' })).toBe(true);
    expect(needsGpu('ort', {})).toBe(false);
    expect(needsGpu('tfjs-wasm', { DEVICE: 'cpu' })).toBe(false);
  });

  it('names the port variable compose.yaml reads', () => {
    expect(portVar('fastify')).toBe('FASTIFY_PORT');
    expect(portVar('my-server.v2')).toBe('MY_SERVER_V2_PORT');
  });

  it('reads service images from normalized YAML and from JSON config output', () => {
    expect([...parseConfigImages(V1_CONFIG)]).toEqual([
      ['fastify', 'servebench-node:local'],
      ['triton', 'servebench-triton:local'],
    ]);
    expect([...parseConfigImages(`services:\n  a:\n    image: 'x:1'\n  b:\n    build: .\n`)]).toEqual([['a', 'x:1']]);
    expect([...parseConfigImages(JSON.stringify({ name: 'p', services: { a: { image: 'x:1' }, b: {} } }))]).toEqual([
      ['a', 'x:1'],
    ]);
  });

  it('parses docker stats lines (CPU: 100 = one core; memory in MiB)', () => {
    const line =
      '{"BlockIO":"0B / 0B","CPUPerc":"54.22%","Container":"c","ID":"c","MemPerc":"0.47%","MemUsage":"113.7MiB / 23.54GiB","Name":"c","NetIO":"0B / 0B","PIDs":"12"}';
    expect(parseDockerStats(line)).toEqual({ cpuPct: 54.22, memMb: 113.7, pids: 12 });
    expect(parseDockerStats('{"CPUPerc":"--","MemUsage":"-- / --"}')).toBeUndefined();
    expect(parseDockerStats('not json')).toBeUndefined();
    expect(parseSize('1.5GiB')).toBe(1.5 * 1024 ** 3);
    expect(parseSize('512kB')).toBe(512_000);
    expect(parseSize('0B')).toBe(0);
    expect(parseSize('lots')).toBeUndefined();
  });

  it('reads the engine stats stream as readings over [preread, read] (CPU over wall time, memory less inactive cache)', () => {
    const obj = (read: string, preread: string, cpu: number, precpu: number) =>
      JSON.stringify({
        read,
        preread,
        pids_stats: { current: 13 },
        cpu_stats: { cpu_usage: { total_usage: cpu }, system_cpu_usage: 7464680000000, online_cpus: 2 },
        precpu_stats: { cpu_usage: { total_usage: precpu } },
        memory_stats: { usage: 217427968, stats: { total_inactive_file: 43307008, cache: 90124288 } },
      });
    // 0.75 s of CPU in 0.5 s of wall time: 150% (one and a half cores).
    const r = parseEngineStats(
      obj('2026-11-22T00:22:25.262871503Z', '2026-11-22T00:22:24.762871503Z', 1_750_000_000, 1_000_000_000),
    );
    expect(r).toBeDefined();
    expect(r!.cpuPct).toBeCloseTo(150, 6);
    expect(r!.atMs - r!.fromMs).toBe(500);
    expect(r!.memMb).toBeCloseTo((217427968 - 43307008) / 1024 ** 2, 6);
    expect(r!.pids).toBe(13);
    // The first object of a stream has no previous reading.
    expect(
      parseEngineStats(obj('2026-11-22T00:22:24.762871503Z', '0001-01-01T00:00:00Z', 1_005_200_118, 0)),
    ).toBeUndefined();
    expect(parseEngineStats('{')).toBeUndefined();
  });

  it("sums a proxy stack's containers reading by reading, as many as the shortest series has", () => {
    const standIn = (samples: Array<[number, number, number]>): Sampler => ({
      startEpochMs: 1000,
      elapsedS: () => 2,
      stop: () => summarizeSeries(samples.map(([tS, cpuPct, rssMb]) => ({ tS, cpuPct, rssMb, procs: 1 }))),
    });
    const series = sumSamplers([
      standIn([
        [0.5, 40, 100],
        [1.5, 60, 110],
      ]),
      standIn([
        [0.9, 80, 300],
        [1.9, 20, 310],
        [2.9, 10, 320],
      ]),
    ]).stop();
    expect(series.samples).toEqual([
      { tS: 0.5, cpuPct: 120, rssMb: 400, procs: 2 },
      { tS: 1.5, cpuPct: 80, rssMb: 420, procs: 2 },
    ]);
    expect(series.peakRssMb).toBe(420);
    const one = standIn([[0.5, 40, 100]]);
    expect(sumSamplers([one])).toBe(one);
  });

  it('writes env files one KEY=VALUE a line and refuses what they cannot carry', () => {
    expect(envFileText({ MODEL: 'tiny', BACKEND: 'ort' })).toBe('MODEL=tiny\nBACKEND=ort\n');
    expect(() => envFileText({ A: 'x\ny' })).toThrow(LaunchError);
    expect(() => envFileText({ 'A-B': 'x' })).toThrow(/A-B/);
  });
});

const dockerUp = spawnSync('docker', ['info'], { stdio: 'ignore' }).status === 0;
const imageUp =
  dockerUp && spawnSync('docker', ['image', 'inspect', 'servebench-node:local'], { stdio: 'ignore' }).status === 0;

describe('compose launcher: on this machine', () => {
  it('skips (unavailable) a stack whose images are missing or when docker is not there', async () => {
    const launch = composeLauncher({ root: repoRoot(), project: `servebench-test-${process.pid}` });
    const logFile = join(mkdtempSync(join(tmpdir(), 'servebench-compose-')), 'x.log');
    // tensorflow/serving cannot be pulled here; without docker every stack is skipped for that reason instead.
    const err = await launch(stack('express', 'tfserving-rest', 'express'), {
      env: {},
      readyTimeoutMs: 10_000,
      logFile,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LaunchError);
    expect((err as LaunchError).unavailable).toBe(true);
    expect((err as LaunchError).message).toMatch(
      dockerUp ? /tensorflow\/serving.*not present locally|no compose CLI/ : /docker|Docker|compose/,
    );
  });

  // Brings a real container up and down (about 5 s); roundtrip.sh runs the whole benchmark this way.
  it.skipIf(!imageUp || process.env.SERVEBENCH_COMPOSE_TEST !== '1')(
    'launches fastify, samples docker stats, and takes it down',
    async () => {
      const root = repoRoot();
      const [fastify] = filterStacks(stacksOf(discoverServers(root)), ['fastify+ort']);
      const launch = composeLauncher({ root, project: `servebench-test-${process.pid}` });
      const logFile = join(mkdtempSync(join(tmpdir(), 'servebench-compose-')), 'fastify.log');
      const server = await launch(fastify!, { env: { MODEL: 'tiny' }, readyTimeoutMs: 60_000, logFile });
      try {
        expect(await fetch(new URL('/hello_world', server.baseUrl)).then((r) => r.json())).toEqual({ Hello: 'World' });
        expect(server.pid).toBeGreaterThan(0);
        expect(server.modelLoadMs).toBeGreaterThanOrEqual(0);
        const sampler = server.sampleResources!();
        await new Promise((r) => setTimeout(r, 3500));
        const series = sampler.stop();
        expect(series.samples.length).toBeGreaterThan(0);
        expect(series.peakRssMb).toBeGreaterThan(10);
      } finally {
        const exit = await server.stop();
        expect(exit.code).toBe(0);
      }
      const left = spawnSync(
        'docker',
        ['ps', '-aq', '--filter', `label=com.docker.compose.project=servebench-test-${process.pid}-fastify-ort`],
        { encoding: 'utf8' },
      );
      expect(left.stdout.trim()).toBe('');
    },
    120_000,
  );
});
