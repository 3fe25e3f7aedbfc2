// The few API calls the launcher makes, behind one small interface: the real one speaks to the API
// server through @kubernetes/client-node; unit tests use a stand-in (fake-api.ts).
import { CoreV1Api, KubeConfig, KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import { K8sError } from './errors.js';
import type { K8sObject } from './render.js';

export interface PodInfo {
  name: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  nodeName?: string;
  phase?: string;
  ready: boolean;
}

export interface KubeApi {
  /** Creates the object; dryRun: the server validates and admits it but stores nothing. */
  create(obj: K8sObject, dryRun?: boolean): Promise<void>;
  /** The stored object (with status), or undefined when it does not exist. */
  read(obj: K8sObject): Promise<K8sObject | undefined>;
  /** Deletes with foreground propagation (a Deployment's ReplicaSets and pods, a Job's pods); absent is fine. */
  remove(obj: K8sObject): Promise<void>;
  listPods(namespace: string, labelSelector: string): Promise<PodInfo[]>;
  podLog(namespace: string, pod: string, container: string): Promise<string>;
}

/** Where the API server is: the default kubeconfig (KUBECONFIG, ~/.kube/config, in-cluster), or explicit. */
export interface ApiTarget {
  server?: string;
  token?: string;
  /** Self-signed serving certificate (a local test API server). */
  insecureSkipTlsVerify?: boolean;
}

export function kubeConfig(t: ApiTarget = {}): KubeConfig {
  const kc = new KubeConfig();
  if (!t.server) {
    kc.loadFromDefault();
    return kc;
  }
  kc.loadFromOptions({
    clusters: [{ name: 'sb', server: t.server, skipTLSVerify: t.insecureSkipTlsVerify === true }],
    users: [{ name: 'sb', ...(t.token ? { token: t.token } : {}) }],
    contexts: [{ name: 'sb', cluster: 'sb', user: 'sb' }],
    currentContext: 'sb',
  });
  return kc;
}

/** HTTP status of a client-node ApiException (its `code`), if any. */
const statusOf = (e: unknown): number | undefined => {
  const c = (e as { code?: unknown }).code;
  return typeof c === 'number' ? c : undefined;
};

const describe = (e: unknown): string => {
  const body = (e as { body?: unknown }).body;
  if (typeof body === 'string') {
    try {
      const m = (JSON.parse(body) as { message?: string }).message;
      if (m) return m;
    } catch {
      /* not JSON */
    }
    return body.slice(0, 300);
  }
  return (e as Error).message ?? String(e);
};

const label = (o: K8sObject) => `${o.kind} ${String(o.metadata.namespace ?? '')}/${o.metadata.name}`;

export function clientKubeApi(kc: KubeConfig): KubeApi {
  const objects = KubernetesObjectApi.makeApiClient(kc);
  const core = kc.makeApiClient(CoreV1Api);
  const spec = (o: K8sObject) => o as unknown as KubernetesObject;
  return {
    async create(obj, dryRun) {
      try {
        await objects.create(spec(obj), undefined, dryRun ? 'All' : undefined, 'servebench');
      } catch (e) {
        if (statusOf(e) === 409) throw new K8sError('K8S_EXISTS', `${label(obj)} already exists: ${describe(e)}`);
        throw new K8sError('K8S_API', `create ${label(obj)}${dryRun ? ' (dry run)' : ''}: ${describe(e)}`);
      }
    },
    async read(obj) {
      try {
        return (await objects.read({
          apiVersion: obj.apiVersion,
          kind: obj.kind,
          metadata: { name: obj.metadata.name, namespace: obj.metadata.namespace as string | undefined },
        })) as unknown as K8sObject;
      } catch (e) {
        if (statusOf(e) === 404) return undefined;
        throw new K8sError('K8S_API', `read ${label(obj)}: ${describe(e)}`);
      }
    },
    async remove(obj) {
      try {
        await objects.delete(spec(obj), undefined, undefined, undefined, undefined, 'Foreground');
      } catch (e) {
        if (statusOf(e) === 404) return;
        throw new K8sError('K8S_API', `delete ${label(obj)}: ${describe(e)}`);
      }
    },
    async listPods(namespace, labelSelector) {
      try {
        const list = await core.listNamespacedPod({ namespace, labelSelector });
        return list.items.map((p) => ({
          name: p.metadata?.name ?? '',
          labels: p.metadata?.labels ?? {},
          annotations: p.metadata?.annotations ?? {},
          ...(p.spec?.nodeName ? { nodeName: p.spec.nodeName } : {}),
          ...(p.status?.phase ? { phase: p.status.phase } : {}),
          ready: (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
        }));
      } catch (e) {
        throw new K8sError('K8S_API', `list pods in ${namespace} (${labelSelector}): ${describe(e)}`);
      }
    },
    async podLog(namespace, pod, container) {
      try {
        return await core.readNamespacedPodLog({ name: pod, namespace, container });
      } catch (e) {
        throw new K8sError('K8S_NO_LOG', `log of pod ${namespace}/${pod}: ${describe(e)}`);
      }
    },
  };
}
