// One cell's load as a Kubernetes Indexed Job: the request goes into a ConfigMap, pod i runs segment
// i/N (JOB_COMPLETION_INDEX), each prints its report as the last line of its log, and the coordinator
// merges the reports exactly as for local or SSH agents (mergeAgents). Job and ConfigMap are deleted after.
import { mergeAgents, summarizeAgents } from '../agents/merge.js';
import { parseReport, type AgentReport, type AgentRequest } from '../agents/protocol.js';
import { segmentSpec } from '../agents/segment.js';
import type { AgentsResult } from '../agents/coordinator.js';
import type { LoadSpec } from '../load/types.js';
import type { KubeApi, PodInfo } from './api.js';
import { K8sError } from './errors.js';
import { renderAgentsJob, type K8sObject, type K8sOptions } from './render.js';
import type { K8sSession } from './session.js';

export const AGENT_REQUEST_CONFIGMAP = 'servebench-agent-request';
export const AGENTS_JOB = 'sb-load-agents';
const INDEX_KEY = 'batch.kubernetes.io/job-completion-index';

export type AgentJobOptions = Pick<K8sOptions, 'namespace' | 'tag' | 'agents' | 'agentCpu' | 'agentMemory'>;

/** The ConfigMap with the request and the Indexed Job that runs it. */
export function agentObjects(spec: LoadSpec, o: AgentJobOptions, startEpochMs: number): K8sObject[] {
  for (let index = 0; index < o.agents; index++) segmentSpec(spec, { index, count: o.agents }); // fail before creating
  // Each pod replaces the segment with its own JOB_COMPLETION_INDEX/SERVEBENCH_AGENTS. The target is a
  // Service name inside the cluster, not loopback: the request says so, as --allow-remote does.
  const request: AgentRequest = { spec, segment: { index: 0, count: o.agents }, startEpochMs, allowRemote: true };
  const configMap: K8sObject = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: AGENT_REQUEST_CONFIGMAP,
      namespace: o.namespace,
      labels: { 'servebench.dev/role': 'load-agent' },
    },
    data: { 'request.json': JSON.stringify(request) },
  };
  const job = renderAgentsJob({ ...o, cpu: '0', memory: '0', model: '', modelSeed: 0 }, AGENTS_JOB);
  return [configMap, job];
}

type Any = Record<string, any>;

/** 'done' when every index succeeded; throws when the Job failed; undefined while it runs. */
export function jobState(job: K8sObject | undefined): 'done' | undefined {
  if (!job) return undefined;
  const x = job as Any;
  const conditions: Any[] = x.status?.conditions ?? [];
  const failed = conditions.find((c) => c.type === 'Failed' && c.status === 'True');
  if (failed || Number(x.status?.failed ?? 0) > 0)
    throw new K8sError(
      'K8S_JOB_FAILED',
      `Job ${String(x.metadata?.name)} failed: ${String(failed?.reason ?? '')} ${String(failed?.message ?? `${String(x.status?.failed)} pod(s) failed`)}`.trim(),
    );
  const complete = conditions.some((c) => c.type === 'Complete' && c.status === 'True');
  return complete || Number(x.status?.succeeded ?? 0) >= Number(x.spec?.completions ?? 1) ? 'done' : undefined;
}

/** One succeeded pod per completion index 0..count-1 (the index from the pod's annotation or label). */
export function podsByIndex(pods: readonly PodInfo[], count: number): PodInfo[] {
  const out: PodInfo[] = [];
  for (let i = 0; i < count; i++) {
    const pod = pods.find(
      (p) => (p.annotations[INDEX_KEY] ?? p.labels[INDEX_KEY]) === String(i) && p.phase === 'Succeeded',
    );
    if (!pod) throw new K8sError('K8S_JOB_FAILED', `no succeeded agent pod for completion index ${i}/${count}`);
    out.push(pod);
  }
  return out;
}

/** Reads each index's pod log (last line: the agent's report) and checks it ran its own segment. */
export async function collectReports(api: KubeApi, namespace: string, count: number): Promise<AgentReport[]> {
  const pods = podsByIndex(await api.listPods(namespace, `job-name=${AGENTS_JOB}`), count);
  const reports: AgentReport[] = [];
  for (const [i, pod] of pods.entries()) {
    const r = parseReport(await api.podLog(namespace, pod.name, 'agent'), `agent pod ${pod.name}`);
    if (r.segment.index !== i || r.segment.count !== count)
      throw new K8sError(
        'K8S_JOB_FAILED',
        `pod ${pod.name} (index ${i}) ran segment ${r.segment.index}/${r.segment.count}`,
      );
    reports.push(r);
  }
  return reports;
}

export interface K8sCellOptions extends AgentJobOptions {
  /** From creating the Job to the agents' common start: scheduling, image pull, node start-up. */
  leadMs: number;
}

/** Runs one cell on the cluster's agents and merges their reports. Job and ConfigMap are always deleted. */
export async function runCellOnK8s(session: K8sSession, spec: LoadSpec, o: K8sCellOptions): Promise<AgentsResult> {
  const objs = agentObjects(spec, o, Date.now() + o.leadMs);
  const budgetMs = o.leadMs + spec.warmupMs + spec.durationMs + 2 * spec.timeoutMs + 60_000;
  try {
    await session.apply(objs);
    await session.waitFor(objs[1]!, (j) => jobState(j) === 'done', budgetMs);
    const reports = await collectReports(session.api, o.namespace, o.agents);
    return { result: mergeAgents(spec, reports), agents: summarizeAgents(reports), reports };
  } finally {
    await session.remove(objs.filter((x) => session.objects().includes(x)));
  }
}
