// A STAND-IN for the API server in unit tests (not a cluster): objects in a map, and a toy controller
// that, after `readyAfterReads` reads, marks a Deployment ready and completes a Job with one Succeeded
// pod per completion index whose log the test supplies. The real API server is exercised by the opt-in
// test (cluster.k8s.test.ts, SERVEBENCH_K8S_TEST=1).
import type { KubeApi, PodInfo } from './api.js';
import { K8sError } from './errors.js';
import type { K8sObject } from './render.js';

type Any = Record<string, any>;

export interface StandInOptions {
  /** Reads of a Deployment/Job before its controller "finishes" (Infinity: never). */
  readyAfterReads?: number;
  /** The log of the agent pod with this completion index, given the ConfigMap's data. */
  podLog?: (index: number, configMaps: Map<string, Record<string, string>>) => string;
  /** Job outcome: a failed Job reports status.failed = 1 and a Failed condition. */
  jobFails?: boolean;
}

export class StandInKubeApi implements KubeApi {
  readonly store = new Map<string, K8sObject>();
  readonly calls: string[] = [];
  private readonly reads = new Map<string, number>();
  private pods: PodInfo[] = [];

  constructor(private readonly o: StandInOptions = {}) {}

  private key(o: K8sObject): string {
    return `${o.kind}/${String(o.metadata.namespace ?? '')}/${o.metadata.name}`;
  }

  async create(obj: K8sObject, dryRun?: boolean): Promise<void> {
    this.calls.push(`create${dryRun ? '(dry)' : ''} ${this.key(obj)}`);
    if (this.store.has(this.key(obj))) throw new K8sError('K8S_EXISTS', `${this.key(obj)} already exists`);
    if (!dryRun)
      this.store.set(this.key(obj), structuredClone({ ...obj, metadata: { ...obj.metadata, generation: 1 } }));
  }

  async read(obj: K8sObject): Promise<K8sObject | undefined> {
    const k = this.key(obj);
    const cur = this.store.get(k) as Any | undefined;
    if (!cur) return undefined;
    const n = (this.reads.get(k) ?? 0) + 1;
    this.reads.set(k, n);
    if (n >= (this.o.readyAfterReads ?? 2)) this.finish(cur);
    return structuredClone(cur) as K8sObject;
  }

  private finish(cur: Any): void {
    if (cur.kind === 'Deployment') {
      const r = cur.spec.replicas ?? 1;
      cur.status = { observedGeneration: 1, replicas: r, readyReplicas: r, updatedReplicas: r };
    }
    if (cur.kind === 'Job' && !cur.status) {
      const count: number = cur.spec.completions;
      if (this.o.jobFails) {
        cur.status = { failed: 1, conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }] };
        return;
      }
      cur.status = { succeeded: count, conditions: [{ type: 'Complete', status: 'True' }] };
      for (let i = 0; i < count; i++)
        this.pods.push({
          name: `${cur.metadata.name}-${i}-stand-in`,
          labels: { 'job-name': cur.metadata.name },
          annotations: { 'batch.kubernetes.io/job-completion-index': String(i) },
          phase: 'Succeeded',
          ready: false,
        });
    }
  }

  async remove(obj: K8sObject): Promise<void> {
    this.calls.push(`delete ${this.key(obj)}`);
    this.store.delete(this.key(obj));
    if (obj.kind === 'Job') this.pods = this.pods.filter((p) => p.labels['job-name'] !== obj.metadata.name);
  }

  async listPods(_namespace: string, labelSelector: string): Promise<PodInfo[]> {
    const [k, v] = labelSelector.split('=');
    return this.pods.filter((p) => p.labels[k!] === v);
  }

  async podLog(_namespace: string, pod: string): Promise<string> {
    const p = this.pods.find((x) => x.name === pod);
    if (!p || !this.o.podLog) throw new K8sError('K8S_NO_LOG', `no log for ${pod}`);
    const cms = new Map<string, Record<string, string>>();
    for (const o of this.store.values()) if (o.kind === 'ConfigMap') cms.set(o.metadata.name, (o as Any).data);
    return this.o.podLog(Number(p.annotations['batch.kubernetes.io/job-completion-index']), cms);
  }
}
