// One HTTP cell's load for `servebench run`: the in-process engine, or split over --agents.
import { fileURLToPath } from 'node:url';
import { runLoad } from '../load/engine.js';
import type { LoadResult, LoadSpec } from '../load/types.js';
import { runOnAgents } from './coordinator.js';
import { parseAgents } from './targets.js';

export interface CellLoadSettings {
  agents?: string;
  agentLeadMs?: number;
  agentCommand?: string;
  allowRemote?: boolean;
}

export async function runCellLoad(s: CellLoadSettings, spec: LoadSpec): Promise<LoadResult> {
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
