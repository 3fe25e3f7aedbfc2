// `servebench k8s render`: plain Kubernetes objects (apps/v1 Deployments, v1 Services, a batch/v1
// Indexed Job of load agents) for people who apply them themselves. Pure: no API server is contacted.
import { relative } from 'node:path';
import type { StackSpec } from '../discover.js';
import { needsGpu } from '../launch/compose-map.js';
import { defaultPorts } from '../lists/compose-services.js';

export type K8sObject = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: { name: string } & Record<string, unknown>;
};

export interface K8sOptions {
  namespace: string;
  /** Image tag, as compose: servebench-node:<tag> / servebench-python:<tag>. */
  tag: string;
  /** Requests = limits for every server container (Guaranteed QoS), e.g. '2' and '2Gi'. */
  cpu: string;
  memory: string;
  model: string;
  modelSeed: number;
  /** Load agents: how many (Job completions = parallelism), and their own requests = limits. */
  agents: number;
  agentCpu: string;
  agentMemory: string;
}

const ROLE = 'servebench.dev/role';
const STACK = 'servebench.dev/stack';
const HOSTNAME = 'kubernetes.io/hostname';

/** DNS-1123 label from a stack id: fastify+ort -> sb-fastify-ort. */
export function objectName(id: string): string {
  return `sb-${id
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')}`.slice(0, 63);
}

const resources = (cpu: string, memory: string, gpu = false) => {
  const r: Record<string, string> = { cpu, memory, ...(gpu ? { 'nvidia.com/gpu': '1' } : {}) };
  return { requests: { ...r }, limits: { ...r } };
};

/** Never on a node that runs a pod with role `other` (servers vs load agents). */
const antiAffinity = (other: string) => ({
  podAntiAffinity: {
    requiredDuringSchedulingIgnoredDuringExecution: [
      { labelSelector: { matchLabels: { [ROLE]: other } }, topologyKey: HOSTNAME },
    ],
  },
});

/** A Deployment (1 replica) and a ClusterIP Service for one stack's server. */
export function renderStack(root: string, stack: StackSpec, port: number, o: K8sOptions): K8sObject[] {
  const name = objectName(stack.id);
  const env = { ...stack.server.env };
  const gpu = needsGpu(stack.backend, env);
  const labels = { [ROLE]: 'server', [STACK]: name };
  const image = `servebench-${stack.server.language === 'python' ? 'python' : 'node'}:${o.tag}`;
  const containerEnv = {
    ...env,
    BACKEND: stack.backend,
    HOST: '0.0.0.0',
    PORT: String(port),
    MODEL: o.model,
    MODEL_SEED: String(o.modelSeed),
    MODELS_DIR: '/models',
  };
  const deployment: K8sObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: o.namespace, labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          affinity: antiAffinity('load-agent'),
          containers: [
            {
              name: 'server',
              image,
              imagePullPolicy: 'IfNotPresent',
              workingDir: `/app/${relative(root, stack.server.dir)}`,
              command: stack.server.start,
              env: Object.entries(containerEnv).map(([n, value]) => ({ name: n, value })),
              ports: [{ name: stack.server.protocol === 'grpc' ? 'grpc' : 'http', containerPort: port }],
              readinessProbe:
                stack.server.protocol === 'grpc'
                  ? { grpc: { port }, periodSeconds: 2 }
                  : { httpGet: { path: '/readyz', port }, periodSeconds: 2 },
              resources: resources(o.cpu, o.memory, gpu),
              volumeMounts: [{ name: 'models', mountPath: '/models', readOnly: true }],
            },
          ],
          // The model files: a volume the cluster provides (a PVC named servebench-models).
          volumes: [{ name: 'models', persistentVolumeClaim: { claimName: 'servebench-models', readOnly: true } }],
        },
      },
    },
  };
  const service: K8sObject = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: o.namespace, labels },
    spec: { selector: labels, ports: [{ name: 'main', port, targetPort: port }] },
  };
  return [deployment, service];
}

/**
 * The load agents as one Indexed Job: pod i runs `servebench agent` with segment
 * JOB_COMPLETION_INDEX/agents on the request in ConfigMap servebench-agent-request (key request.json).
 */
export function renderAgentsJob(o: K8sOptions, name = 'sb-load-agents'): K8sObject {
  const labels = { [ROLE]: 'load-agent' };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: o.namespace, labels },
    spec: {
      completionMode: 'Indexed',
      completions: o.agents,
      parallelism: o.agents,
      backoffLimit: 0,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          affinity: antiAffinity('server'),
          containers: [
            {
              name: 'agent',
              image: `servebench-node:${o.tag}`,
              imagePullPolicy: 'IfNotPresent',
              command: ['node', '/app/runner/dist/cli.js', 'agent', '--request', '/request/request.json'],
              // `servebench agent` takes its segment from JOB_COMPLETION_INDEX (set by the Job) / SERVEBENCH_AGENTS.
              env: [{ name: 'SERVEBENCH_AGENTS', value: String(o.agents) }],
              resources: resources(o.agentCpu, o.agentMemory),
              volumeMounts: [{ name: 'request', mountPath: '/request', readOnly: true }],
            },
          ],
          volumes: [{ name: 'request', configMap: { name: 'servebench-agent-request' } }],
        },
      },
    },
  };
}

export function renderK8s(root: string, stacks: StackSpec[], o: K8sOptions): K8sObject[] {
  const ports = defaultPorts([...new Map(stacks.map((s) => [s.server.id, s.server])).values()]);
  return [...stacks.flatMap((s) => renderStack(root, s, ports.get(s.server.id)!, o)), renderAgentsJob(o)];
}
