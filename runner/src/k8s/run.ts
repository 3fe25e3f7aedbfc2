// `servebench run --launcher k8s`: the flags (parsed once, here), and the one session a run holds.
// Stacks go through k8sLauncher; every HTTP cell's load goes through runCellOnK8s on that session.
import { fileURLToPath } from 'node:url';
import type { LoadResult, LoadSpec } from '../load/types.js';
import type { Launcher } from '../launch/types.js';
import { runCellOnK8s } from './agents-job.js';
import { clientKubeApi, kubeConfig, type KubeApi } from './api.js';
import { k8sLauncher } from './launcher.js';
import { K8sSession } from './session.js';

export interface K8sRunSettings {
  namespace: string;
  /** Image tag: servebench-node:<tag> / servebench-python:<tag> (compose's images). */
  tag: string;
  cpu: string;
  memory: string;
  agents: number;
  agentCpu: string;
  agentMemory: string;
  /** From creating a cell's Job to the agents' common start (ms). */
  leadMs: number;
}

export const K8S_DEFAULTS: K8sRunSettings = {
  namespace: 'servebench',
  tag: 'local',
  cpu: '2',
  memory: '2Gi',
  agents: 2,
  agentCpu: '2',
  agentMemory: '1Gi',
  leadMs: 30_000,
};

export interface K8sFlags {
  k8sNamespace?: string;
  k8sTag?: string;
  k8sCpu?: string;
  k8sMemory?: string;
  k8sAgents?: string;
  k8sAgentCpu?: string;
  k8sAgentMemory?: string;
  k8sLead?: string;
}

const QUANTITY = /^\d+(\.\d+)?(m|Ki|Mi|Gi|Ti|k|M|G|T)?$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** Parses the --k8s-* flags; `bad(message)` builds the caller's usage error. */
export function parseK8sFlags(f: K8sFlags, bad: (m: string) => Error): K8sRunSettings {
  const s = { ...K8S_DEFAULTS };
  const qty = (flag: string, v: string | undefined, d: string) => {
    if (v === undefined) return d;
    if (!QUANTITY.test(v) || Number.parseFloat(v) <= 0)
      throw bad(`--${flag} ${v}: expected a Kubernetes quantity (2, 500m, 2Gi)`);
    return v;
  };
  const int = (flag: string, v: string | undefined, d: number) => {
    if (v === undefined) return d;
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw bad(`--${flag} ${v}: expected a positive integer`);
    return n;
  };
  if (f.k8sNamespace !== undefined) {
    if (!DNS_LABEL.test(f.k8sNamespace)) throw bad(`--k8s-namespace ${f.k8sNamespace}: expected a DNS-1123 label`);
    s.namespace = f.k8sNamespace;
  }
  if (f.k8sTag !== undefined) {
    if (!/^[\w][\w.-]{0,127}$/.test(f.k8sTag)) throw bad(`--k8s-tag ${f.k8sTag}: expected an image tag`);
    s.tag = f.k8sTag;
  }
  s.cpu = qty('k8s-cpu', f.k8sCpu, s.cpu);
  s.memory = qty('k8s-memory', f.k8sMemory, s.memory);
  s.agentCpu = qty('k8s-agent-cpu', f.k8sAgentCpu, s.agentCpu);
  s.agentMemory = qty('k8s-agent-memory', f.k8sAgentMemory, s.agentMemory);
  s.agents = int('k8s-agents', f.k8sAgents, s.agents);
  s.leadMs = int('k8s-lead', f.k8sLead, s.leadMs);
  return s;
}

export interface K8sRun {
  launcher: Launcher;
  session: K8sSession;
  /** Deletes whatever is still there and removes the Ctrl-C handler. */
  close(): Promise<void>;
}

let active: { session: K8sSession; settings: K8sRunSettings } | undefined;

export function openK8sRun(
  settings: K8sRunSettings,
  o: { root: string; model: string; seed: number; log: (l: string) => void; api?: KubeApi },
): K8sRun {
  const session = new K8sSession(o.api ?? clientKubeApi(kubeConfig()), {
    log: o.log,
    ...(o.api ? {} : { reaper: { script: fileURLToPath(new URL('./reaper.js', import.meta.url)), target: {} } }),
  });
  const off = session.onInterrupt();
  active = { session, settings };
  const launcher = k8sLauncher({
    session,
    root: o.root,
    render: { ...settings, model: o.model, modelSeed: o.seed },
  });
  return {
    launcher,
    session,
    close: async () => {
      try {
        await session.cleanup();
      } finally {
        off();
        active = undefined;
      }
    },
  };
}

/** One cell's load on the open run's agents Job. */
export async function runCellOnActiveK8s(spec: LoadSpec): Promise<LoadResult> {
  if (!active) throw new Error('--launcher k8s: no cluster session is open');
  return (await runCellOnK8s(active.session, spec, active.settings)).result;
}
