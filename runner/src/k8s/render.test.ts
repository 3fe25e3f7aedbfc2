import { describe, expect, it } from 'vitest';
import type { StackSpec } from '../discover.js';
import { renderK8s, type K8sObject } from './render.js';

const server = (id: string, language: string, protocol = 'http', env: Record<string, string> = {}) =>
  ({
    id,
    dir: `/repo/servers/${id}`,
    start: language === 'python' ? ['.venv/bin/python', 'src/main.py'] : ['node', 'dist/main.js'],
    env,
    language,
    protocol,
  }) as unknown as StackSpec['server'];

const stacks: StackSpec[] = [
  { id: 'fastify+ort', server: server('fastify', 'node'), backend: 'ort' },
  { id: 'fastapi+ort', server: server('fastapi', 'python'), backend: 'ort' },
  { id: 'fastify+ort-cuda', server: server('fastify-cuda', 'node', 'http', { DEVICE: 'cuda' }), backend: 'ort' },
  { id: 'grpc+ort', server: server('grpc', 'node', 'grpc'), backend: 'ort' },
];
const opts = {
  namespace: 'bench',
  tag: 't1',
  cpu: '2',
  memory: '2Gi',
  model: 'mini',
  modelSeed: 0,
  agents: 3,
  agentCpu: '1',
  agentMemory: '512Mi',
};

type Any = Record<string, any>;
const byName = (objs: K8sObject[], kind: string, name: string) =>
  objs.find((o) => o.kind === kind && o.metadata.name === name) as Any;
const container = (d: Any) => d.spec.template.spec.containers[0];

describe('k8s render', () => {
  const objs = renderK8s('/repo', stacks, opts);

  it('renders a Deployment and a Service per stack and one Indexed Job', () => {
    expect(objs.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'Deployment/sb-fastify-ort',
      'Service/sb-fastify-ort',
      'Deployment/sb-fastapi-ort',
      'Service/sb-fastapi-ort',
      'Deployment/sb-fastify-ort-cuda',
      'Service/sb-fastify-ort-cuda',
      'Deployment/sb-grpc-ort',
      'Service/sb-grpc-ort',
      'Job/sb-load-agents',
    ]);
    for (const o of objs) expect((o.metadata as Any).namespace).toBe('bench');
  });

  it('uses the compose images and start commands, with requests equal to limits', () => {
    const node = container(byName(objs, 'Deployment', 'sb-fastify-ort'));
    const py = container(byName(objs, 'Deployment', 'sb-fastapi-ort'));
    expect(node.image).toBe('servebench-node:t1');
    expect(py.image).toBe('servebench-python:t1');
    expect(node.workingDir).toBe('/app/servers/fastify');
    expect(node.command).toEqual(['node', 'dist/main.js']);
    expect(node.resources.requests).toEqual({ cpu: '2', memory: '2Gi' });
    expect(node.resources.limits).toEqual(node.resources.requests);
    const env = Object.fromEntries(node.env.map((e: Any) => [e.name, e.value]));
    expect(env).toMatchObject({ BACKEND: 'ort', MODEL: 'mini', MODEL_SEED: '0', HOST: '0.0.0.0' });
    const svc = byName(objs, 'Service', 'sb-fastify-ort');
    expect(svc.spec.ports[0].port).toBe(Number(env.PORT));
    expect(svc.spec.selector).toEqual(byName(objs, 'Deployment', 'sb-fastify-ort').spec.selector.matchLabels);
  });

  it('asks for nvidia.com/gpu only for a CUDA stack', () => {
    const cuda = container(byName(objs, 'Deployment', 'sb-fastify-ort-cuda'));
    expect(cuda.resources.limits['nvidia.com/gpu']).toBe('1');
    expect(cuda.resources.requests).toEqual(cuda.resources.limits);
    for (const n of ['sb-fastify-ort', 'sb-fastapi-ort', 'sb-grpc-ort'])
      expect(container(byName(objs, 'Deployment', n)).resources.limits).not.toHaveProperty('nvidia.com/gpu');
  });

  it('probes readiness per protocol', () => {
    expect(container(byName(objs, 'Deployment', 'sb-grpc-ort')).readinessProbe).toHaveProperty('grpc');
    expect(container(byName(objs, 'Deployment', 'sb-fastify-ort')).readinessProbe.httpGet.path).toBe('/readyz');
  });

  it('keeps servers and load agents apart, and indexes the agents', () => {
    const dep = byName(objs, 'Deployment', 'sb-fastify-ort').spec.template;
    const job = byName(objs, 'Job', 'sb-load-agents');
    const rule = (t: Any) => t.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0];
    expect(rule(dep).labelSelector.matchLabels).toEqual(job.spec.template.metadata.labels);
    expect(rule(job.spec.template).labelSelector.matchLabels['servebench.dev/role']).toBe(
      dep.metadata.labels['servebench.dev/role'],
    );
    expect(rule(dep).topologyKey).toBe('kubernetes.io/hostname');
    expect(job.spec).toMatchObject({ completionMode: 'Indexed', completions: 3, parallelism: 3 });
    const agent = container(job);
    expect(agent.command.slice(-3)).toEqual(['agent', '--request', '/request/request.json']);
    expect(agent.env).toContainEqual({ name: 'SERVEBENCH_AGENTS', value: '3' });
    expect(agent.resources.requests).toEqual(agent.resources.limits);
  });
});
