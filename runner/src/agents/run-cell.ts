// One HTTP cell's load for `servebench run`: the in-process engine, or split over --agents.
import { fileURLToPath } from 'node:url';
import { runCellOnActiveK8s } from '../k8s/run.js';
import { runLoad } from '../load/engine.js';
import type { LoadResult, LoadSpec } from '../load/types.js';
import { runOnAgents } from './coordinator.js';
import { parseAgents } from './targets.js';

export interface CellLoadSettings {
  agents?: string;
  agentLeadMs?: number;
  agentCommand?: string;
  allowRemote?: boolean;
  /** --launcher k8s: the cell runs on the cluster's agents (an Indexed Job), whatever --agents says. */
  launcher?: string;
}

export async function runCellLoad(s: CellLoadSettings, spec: LoadSpec): Promise<LoadResult> {
  if (s.launcher === 'k8s') return runCellOnActiveK8s(spec);
  if (!s.agents) return runLoad(spec, { allowRemote: s.allowRemote === true });
  const out = await runOnAgents(spec, parseAgents(s.agents), {
    node: process.execPath,
    cli: fileURLToPath(new URL('../cli.js', import.meta.url)),
    ...(s.agentLeadMs !== undefined ? { leadMs: s.agentLeadMs } : {}),
    ...(s.agentCommand ? { remoteCommand: s.agentCommand } : {}),
    allowRemote: s.allowRemote === true,
  });
  return out.result;
}
