// --launcher k8s against a STAND-IN API server (stand-in-api.ts): what the launcher creates, waits
// for, collects and deletes. The real API server: cluster.k8s.test.ts (opt-in).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { StackSpec } from '../discover.js';
import { LaunchError } from '../launch/types.js';
import { Recorder } from '../load/record.js';
import type { LoadSpec } from '../load/types.js';
import type { AgentReport, AgentRequest } from '../agents/protocol.js';
import { AGENT_REQUEST_CONFIGMAP, agentObjects, collectReports, jobState, runCellOnK8s } from './agents-job.js';
import { k8sLauncher } from './launcher.js';
import { K8S_DEFAULTS, parseK8sFlags } from './run.js';
import { K8sSession } from './session.js';
import { StandInKubeApi } from './stand-in-api.js';

const stack = {
  id: 'fastify+ort',
  backend: 'ort',
  server: {
    id: 'fastify',
    dir: '/repo/servers/fastify',
    start: ['node', 'dist/main.js'],
    env: {},
    language: 'node',
    protocol: 'http',
  },
} as unknown as StackSpec;
const render = { ...K8S_DEFAULTS, namespace: 'bench', model: 'mini', modelSeed: 0 };
const launchOpts = { env: { WORKERS: '3' }, readyTimeoutMs: 10_000, logFile: '/dev/null' };

/** A clock that moves only when the session sleeps: no wall-clock waits in these tests. */
function session(api: StandInKubeApi) {
  let t = 0;
  const log: string[] = [];
  const s = new K8sSession(api, {
    pollMs: 500,
    now: () => t,
    sleep: async (ms) => void (t += ms),
    log: (l) => log.push(l),
  });
  return { s, log };
}

describe('k8s launcher (stand-in API server)', () => {
  it('creates the Deployment and Service, waits for readiness, and stop() deletes both', async () => {
    const api = new StandInKubeApi({ readyAfterReads: 3 });
    const { s } = session(api);
    const server = await k8sLauncher({ session: s, root: '/repo', render })(stack, launchOpts);
    expect([...api.store.keys()].sort()).toEqual(['Deployment/bench/sb-fastify-ort', 'Service/bench/sb-fastify-ort']);
    expect(server.baseUrl).toBe('http://sb-fastify-ort.bench.svc:8101');
    // The run's env reaches the container (and requests = limits).
    const c = (api.store.get('Deployment/bench/sb-fastify-ort') as any).spec.template.spec.containers[0];
    expect(c.env).toContainEqual({ name: 'WORKERS', value: '3' });
    expect(c.resources.requests).toEqual(c.resources.limits);
    // Ready only on the third read: the launcher polled until the controller said so.
    expect(api.calls.filter((c) => c.startsWith('create'))).toHaveLength(2);
    expect(server.sampleResources!().stop().samples).toEqual([]);
    await server.stop();
    expect(api.store.size).toBe(0);
    expect(s.objects()).toEqual([]);
  });

  it('never overwrites an object that exists: the stack is unavailable and nothing of ours is left', async () => {
    const api = new StandInKubeApi();
    api.store.set('Service/bench/sb-fastify-ort', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'sb-fastify-ort', namespace: 'bench', labels: { owner: 'someone-else' } },
    });
    const { s } = session(api);
    const err = await k8sLauncher({ session: s, root: '/repo', render })(stack, launchOpts).catch((e) => e);
    expect(err).toBeInstanceOf(LaunchError);
    expect((err as LaunchError).unavailable).toBe(true);
    expect((err as Error).message).toMatch(/K8S_EXISTS/);
    // Our Deployment was created first and then deleted; their Service is untouched.
    expect([...api.store.keys()]).toEqual(['Service/bench/sb-fastify-ort']);
    expect(api.calls).toContain('delete Deployment/bench/sb-fastify-ort');
    expect(api.calls).not.toContain('delete Service/bench/sb-fastify-ort');
  });

  it('a Deployment that never becomes ready fails the launch (phase ready) and is deleted', async () => {
    const api = new StandInKubeApi({ readyAfterReads: Infinity });
    const { s } = session(api);
    const err = await k8sLauncher({ session: s, root: '/repo', render })(stack, {
      ...launchOpts,
      readyTimeoutMs: 3000,
    }).catch((e) => e);
    expect(err).toBeInstanceOf(LaunchError);
    expect((err as LaunchError).phase).toBe('ready');
    expect((err as Error).message).toMatch(/K8S_NOT_READY.*3000 ms/);
    expect(api.store.size).toBe(0);
  });

  it('Ctrl-C with a reaper: the objects go to the reaper script (stdin, run synchronously), then exit 130', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-reaper-'));
    const script = join(dir, 'stand-in-reaper.mjs');
    // A stand-in reaper: records what it was asked to delete.
    writeFileSync(
      script,
      `import { readFileSync, writeFileSync } from 'node:fs'; writeFileSync(${JSON.stringify(join(dir, 'got.json'))}, readFileSync(0, 'utf8'));`,
    );
    const api = new StandInKubeApi();
    const s = new K8sSession(api, { reaper: { script, target: { server: 'https://127.0.0.1:1' } } });
    await k8sLauncher({ session: s, root: '/repo', render })(stack, launchOpts);
    let code: number | undefined;
    s.onInterrupt((c) => (code = c));
    process.emit('SIGINT');
    expect(code).toBe(130); // synchronous: the reaper finished before the handler returned
    const got = JSON.parse(readFileSync(join(dir, 'got.json'), 'utf8'));
    expect(got.target).toEqual({ server: 'https://127.0.0.1:1' });
    expect(got.objects.map((o: { kind: string }) => o.kind)).toEqual(['Deployment', 'Service']);
    expect(s.objects()).toEqual([]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('Ctrl-C deletes everything the session created, then exits 130', async () => {
    const api = new StandInKubeApi();
    const { s } = session(api);
    await k8sLauncher({ session: s, root: '/repo', render })(stack, launchOpts);
    expect(api.store.size).toBe(2);
    const exited = new Promise<number>((resolve) => s.onInterrupt(resolve));
    process.emit('SIGINT');
    expect(await exited).toBe(130);
    expect(api.store.size).toBe(0);
  });
});

const spec: LoadSpec = {
  host: 'sb-fastify-ort.bench.svc',
  port: 8101,
  requests: [{ method: 'GET', path: '/' }],
  expect: [{ kind: 'exact', body: '' }],
  mode: 'closed',
  concurrency: 4,
  warmupMs: 0,
  durationMs: 2000,
  windowMs: 1000,
  timeoutMs: 1000,
};

/** An agent's log: a line of noise, then its report for the request it found in the ConfigMap. */
function agentLog(index: number, cms: Map<string, Record<string, string>>, latencyMs: number): string {
  const req = JSON.parse(cms.get(AGENT_REQUEST_CONFIGMAP)!['request.json']!) as AgentRequest;
  const rec = new Recorder(2);
  for (let i = 0; i < 100; i++) rec.success(latencyMs + i / 100, i % 2, undefined);
  const w = rec.result(0.5, spec.durationMs);
  const report: AgentReport = {
    segment: { index, count: req.segment.count },
    concurrency: 2,
    startEpochMs: req.startEpochMs,
    readyEpochMs: req.startEpochMs - 10,
    successes: w.successes,
    errors: w.errors,
    histogram: w.hist,
    workers: [w],
    measuredMs: spec.durationMs,
    cpu: { userMs: 1, systemMs: 1 },
    host: `agent-pod-${index}`,
    pid: 1,
  };
  return `agent starting\n${JSON.stringify(report)}\n`;
}

describe('a cell on the agents Job (stand-in API server)', () => {
  afterEach(() => process.removeAllListeners('SIGINT'));

  it('creates the request ConfigMap and the Indexed Job, merges the pods reports and deletes both', async () => {
    const api = new StandInKubeApi({ podLog: (i, cms) => agentLog(i, cms, i === 0 ? 1 : 5) });
    const { s } = session(api);
    const out = await runCellOnK8s(s, spec, { ...K8S_DEFAULTS, namespace: 'bench', agents: 2, leadMs: 1000 });
    expect(out.result.successes).toBe(200);
    expect(out.agents.map((a) => a.host)).toEqual(['agent-pod-0', 'agent-pod-1']);
    // Merged exactly: the median lies between the two agents' latencies, the max is agent 1's.
    expect(out.result.latencyMs.max).toBeGreaterThan(5);
    expect(out.result.latencyMs.min).toBeLessThan(2);
    expect(api.calls.filter((c) => c.startsWith('create'))).toEqual([
      `create ConfigMap/bench/${AGENT_REQUEST_CONFIGMAP}`,
      'create Job/bench/sb-load-agents',
    ]);
    expect(api.store.size).toBe(0);
  });

  it('a failed Job fails the cell and is still deleted', async () => {
    const api = new StandInKubeApi({ jobFails: true });
    const { s } = session(api);
    await expect(runCellOnK8s(s, spec, { ...K8S_DEFAULTS, namespace: 'bench', leadMs: 1000 })).rejects.toThrow(
      /K8S_JOB_FAILED.*BackoffLimitExceeded/,
    );
    expect(api.store.size).toBe(0);
  });

  it('a pod whose report is for another segment is refused', async () => {
    const api = new StandInKubeApi({ podLog: (i, cms) => agentLog(1 - i, cms, 1) });
    const { s } = session(api);
    const [cm, job] = agentObjects(spec, { ...K8S_DEFAULTS, namespace: 'bench', agents: 2 }, 0);
    await s.apply([cm!, job!]);
    await s.waitFor(job!, (j) => jobState(j) === 'done', 5000);
    await expect(collectReports(api, 'bench', 2)).rejects.toThrow(/K8S_JOB_FAILED.*ran segment 1\/2/);
  });

  it('the Job: indexed, one pod per agent, requests = limits, the request mounted, anti-affinity to servers', () => {
    const [cm, job] = agentObjects(spec, { ...K8S_DEFAULTS, namespace: 'bench', agents: 3, agentCpu: '1' }, 42);
    const req = JSON.parse((cm as unknown as { data: Record<string, string> }).data['request.json']!) as AgentRequest;
    expect(req).toMatchObject({ startEpochMs: 42, allowRemote: true, segment: { count: 3 } });
    const j = job as unknown as { spec: Record<string, any> };
    expect(j.spec).toMatchObject({ completionMode: 'Indexed', completions: 3, parallelism: 3, backoffLimit: 0 });
    const c = j.spec.template.spec.containers[0];
    expect(c.resources.requests).toEqual(c.resources.limits);
    expect(c.resources.requests.cpu).toBe('1');
    expect(
      j.spec.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0],
    ).toMatchObject({
      labelSelector: { matchLabels: { 'servebench.dev/role': 'server' } },
    });
  });
});

describe('--k8s-* flags', () => {
  const bad = (m: string) => new Error(m);
  it('takes defaults and valid values', () => {
    expect(parseK8sFlags({}, bad)).toEqual(K8S_DEFAULTS);
    expect(parseK8sFlags({ k8sAgents: '4', k8sCpu: '500m', k8sNamespace: 'bench-1' }, bad)).toMatchObject({
      agents: 4,
      cpu: '500m',
      namespace: 'bench-1',
    });
  });
  it('refuses bad values with the flag name', () => {
    expect(() => parseK8sFlags({ k8sAgents: '0' }, bad)).toThrow(/--k8s-agents 0/);
    expect(() => parseK8sFlags({ k8sMemory: 'lots' }, bad)).toThrow(/--k8s-memory lots/);
    expect(() => parseK8sFlags({ k8sNamespace: 'Bench_1' }, bad)).toThrow(/--k8s-namespace/);
  });
});
