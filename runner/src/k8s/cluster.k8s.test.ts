// Opt-in (SERVEBENCH_K8S_TEST=1): the rendered manifests and --launcher k8s against a real kube-apiserver
// (with etcd, controller-manager, scheduler) and kwok's fake nodes, all on 127.0.0.1. Pods become Ready
// (and Job pods Succeeded) without running: this shows the objects are valid, get created, scheduled by the
// rules we render, reach readiness, and are all deleted, on Ctrl-C too. It cannot show real traffic or
// agent reports from real pods. Binaries: scripts/k8s/build.sh. Transcript: scripts/k8s/test.sh.
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discoverServers, stacksOf, type StackSpec } from '../discover.js';
import type { LoadSpec } from '../load/types.js';
import { agentObjects, collectReports, jobState, podsByIndex } from './agents-job.js';
import { clientKubeApi, kubeConfig, type KubeApi } from './api.js';
import { k8sLauncher } from './launcher.js';
import { K8S_BIN, missingBinaries, startLocalCluster, type LocalCluster } from './local-cluster.js';
import { renderK8s, type K8sObject } from './render.js';
import { K8S_DEFAULTS } from './run.js';
import { K8sSession } from './session.js';

const ENABLED = process.env.SERVEBENCH_K8S_TEST === '1';
const SKIP =
  'skipped: set SERVEBENCH_K8S_TEST=1 to run against a local kube-apiserver + kwok (binaries from scripts/k8s/build.sh)';
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const NS = 'sb-k8s-test';
const render = { ...K8S_DEFAULTS, namespace: NS, model: 'mini', modelSeed: 0, cpu: '1', memory: '1Gi', agentCpu: '1' };

const tr = (line: string) => {
  const l = `[${new Date().toISOString().slice(11, 19)}] ${line}`;
  console.log(l);
  if (process.env.SERVEBENCH_K8S_TRANSCRIPT) appendFileSync(process.env.SERVEBENCH_K8S_TRANSCRIPT, `${l}\n`);
};

type Any = Record<string, any>;
const obj = (apiVersion: string, kind: string, name: string, rest: Any = {}, namespace?: string): K8sObject => ({
  apiVersion,
  kind,
  metadata: { name, ...(namespace ? { namespace } : {}), ...(rest.metadata ?? {}) },
  ...Object.fromEntries(Object.entries(rest).filter(([k]) => k !== 'metadata')),
});

/** A fake node kwok manages (annotation), with room for every pod and a hostname label for anti-affinity. */
const fakeNode = (name: string) =>
  obj('v1', 'Node', name, {
    metadata: {
      annotations: { 'kwok.x-k8s.io/node': 'fake' },
      labels: { 'kubernetes.io/hostname': name, type: 'kwok' },
    },
    status: {
      allocatable: { cpu: '8', memory: '32Gi', pods: '110' },
      capacity: { cpu: '8', memory: '32Gi', pods: '110' },
    },
  });

const spec: LoadSpec = {
  host: `sb-fastify-ort.${NS}.svc`,
  port: 8101,
  requests: [{ method: 'GET', path: '/healthz' }],
  expect: [{ kind: 'exact', body: 'ok' }],
  mode: 'closed',
  concurrency: 4,
  warmupMs: 0,
  durationMs: 1000,
  windowMs: 1000,
  timeoutMs: 1000,
};

async function until<T>(what: string, ms: number, f: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`${what}: not reached in ${ms} ms`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe.skipIf(!ENABLED)(
  `k8s against a real API server and kwok (${ENABLED ? 'SERVEBENCH_K8S_TEST=1' : SKIP})`,
  () => {
    let cluster: LocalCluster;
    let api: KubeApi;
    const stacks: StackSpec[] = stacksOf(discoverServers(ROOT));

    beforeAll(async () => {
      const missing = missingBinaries();
      if (missing.length)
        throw new Error(`SERVEBENCH_K8S_TEST=1 but ${K8S_BIN} lacks ${missing.join(', ')}: run scripts/k8s/build.sh`);
      cluster = await startLocalCluster(tr);
      tr(`API server ready at ${cluster.server}`);
      api = clientKubeApi(kubeConfig({ server: cluster.server, token: cluster.token, insecureSkipTlsVerify: true }));
      await api.create(obj('v1', 'Namespace', NS));
      for (const n of ['kwok-node-0', 'kwok-node-1', 'kwok-node-2']) await api.create(fakeNode(n));
      // The models volume the Deployments mount: a PV the controller-manager binds to the claim.
      await api.create(
        obj('v1', 'PersistentVolume', 'servebench-models', {
          spec: {
            capacity: { storage: '1Gi' },
            accessModes: ['ReadOnlyMany'],
            storageClassName: '',
            hostPath: { path: '/models' },
          },
        }),
      );
      await api.create(
        obj(
          'v1',
          'PersistentVolumeClaim',
          'servebench-models',
          {
            spec: { accessModes: ['ReadOnlyMany'], storageClassName: '', resources: { requests: { storage: '1Gi' } } },
          },
          NS,
        ),
      );
      for (const n of ['kwok-node-0', 'kwok-node-1', 'kwok-node-2'])
        await until(`node ${n} Ready`, 60_000, async () => {
          const node = (await api.read(obj('v1', 'Node', n))) as Any | undefined;
          return node?.status?.conditions?.some((c: Any) => c.type === 'Ready' && c.status === 'True')
            ? true
            : undefined;
        });
      tr('3 kwok nodes Ready; namespace, PV and PVC created');
    }, 300_000);

    afterAll(async () => {
      await cluster?.stop();
      tr('control plane stopped');
    }, 60_000);

    it('every rendered manifest passes the API server dry run (kubectl apply --dry-run=server and the client)', async () => {
      // renderK8s's own agents Job plus the ConfigMap the launcher puts the cell's request in.
      const objects = [...renderK8s(ROOT, stacks, render), agentObjects(spec, render, Date.now())[0]!];
      tr(
        `rendered ${objects.length} objects for ${stacks.length} stacks (${objects.filter((o) => o.kind === 'Deployment').length} Deployments)`,
      );
      // A CUDA stack asks for nvidia.com/gpu (requests = limits, as the API server requires for it).
      const gpu = objects.filter((o) => JSON.stringify(o).includes('"nvidia.com/gpu"')).map((o) => o.metadata.name);
      expect(gpu.length).toBeGreaterThan(0);
      tr(`requesting nvidia.com/gpu: ${gpu.join(', ')} (validated by the dry run only: no GPU node here)`);
      const file = join(cluster.dir, 'manifests.json');
      writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }));
      const kubectl = join(K8S_BIN, 'kubectl');
      if (existsSync(kubectl)) {
        const r = spawnSync(kubectl, ['--kubeconfig', cluster.kubeconfig, 'apply', '--dry-run=server', '-f', file], {
          encoding: 'utf8',
        });
        tr(`kubectl apply --dry-run=server -f manifests.json: exit ${r.status}\n${r.stdout}${r.stderr}`);
        expect(r.status).toBe(0);
        for (const o of objects) expect(r.stdout).toContain(`/${o.metadata.name} created (server dry run)`);
      } else tr('kubectl not built: dry run through the client library only');
      for (const o of objects) await api.create(o, true); // throws K8S_API on any refusal
      for (const o of objects) expect(await api.read(o)).toBeUndefined(); // a dry run stores nothing
      tr(`client dry run (dryRun=All): ${objects.length} objects admitted, none stored`);
    }, 120_000);

    it('--launcher k8s: objects created, Deployments ready on kwok, agents Job completes, Ctrl-C deletes everything', async () => {
      // Ctrl-C goes through the built reaper (dist/k8s/reaper.js, as in a real run) when it exists.
      const reaper = fileURLToPath(new URL('../../dist/k8s/reaper.js', import.meta.url));
      const target = { server: cluster.server, token: cluster.token, insecureSkipTlsVerify: true };
      const session = new K8sSession(api, {
        pollMs: 500,
        log: tr,
        ...(existsSync(reaper) ? { reaper: { script: reaper, target } } : {}),
      });
      tr(
        existsSync(reaper)
          ? 'SIGINT will delete through dist/k8s/reaper.js'
          : 'no dist/k8s/reaper.js: SIGINT deletes in-process',
      );
      const launch = k8sLauncher({ session, root: ROOT, render });
      const picked = stacks.filter((s) => ['fastify+ort', 'fastapi+ort'].includes(s.id));
      expect(picked).toHaveLength(2);
      for (const stack of picked) {
        const server = await launch(stack, { env: {}, readyTimeoutMs: 120_000, logFile: '/dev/null' });
        tr(`${stack.id}: Deployment ready, ${server.baseUrl}`);
        const d = (await api.read(
          session.objects().find((o) => o.kind === 'Deployment' && o.metadata.name === server.host.split('.')[0])!,
        )) as Any;
        const res = d.spec.template.spec.containers[0].resources;
        expect(res.requests).toEqual(res.limits);
      }
      const servers = await api.listPods(NS, 'servebench.dev/role=server');
      expect(servers).toHaveLength(2);
      expect(servers.every((p) => p.ready && p.nodeName)).toBe(true);
      tr(`server pods: ${servers.map((p) => `${p.name} on ${p.nodeName} (${p.phase}, ready)`).join('; ')}`);

      const job = agentObjects(spec, { ...render, agents: 2 }, Date.now() + 1000);
      await session.apply(job);
      await session.waitFor(job[1]!, (j) => jobState(j) === 'done', 120_000);
      const agents = podsByIndex(await api.listPods(NS, 'job-name=sb-load-agents'), 2);
      tr(
        `agents Job complete: ${agents.map((p) => `${p.name} index ${p.annotations['batch.kubernetes.io/job-completion-index']} on ${p.nodeName} (${p.phase})`).join('; ')}`,
      );
      // Required anti-affinity: no agent shares a node with a server.
      const serverNodes = new Set(servers.map((p) => p.nodeName));
      expect(agents.some((p) => serverNodes.has(p.nodeName))).toBe(false);
      // kwok runs no container: there is no report to read, and the launcher says so rather than inventing one.
      const err = await collectReports(api, NS, 2).catch((e: Error) => e);
      expect(err).toBeInstanceOf(Error);
      tr(
        `collecting reports from kwok pods fails as it must (no container ran): ${(err as Error).message.slice(0, 200)}`,
      );

      const created = session.objects();
      tr(`created by the session: ${created.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
      const exited = new Promise<number>((resolve) => session.onInterrupt(resolve));
      process.emit('SIGINT');
      expect(await exited).toBe(130);
      for (const o of created) expect(await api.read(o)).toBeUndefined();
      expect(session.objects()).toEqual([]);
      await until('every servebench pod gone', 60_000, async () =>
        (await api.listPods(NS, 'servebench.dev/role')).length === 0 ? true : undefined,
      );
      tr('after SIGINT: every object the session created is gone, and no servebench pod is left');
    }, 300_000);
  },
);
