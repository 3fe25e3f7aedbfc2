// Where agents run: local processes pinned with taskset, or over SSH. Pure argv rendering.
import { AgentError } from './errors.js';

export type AgentTarget =
  { kind: 'local'; cpus?: string } | { kind: 'ssh'; host: string; user?: string; port?: number };

const CPU_LIST = /^\d+(-\d+)?(\+\d+(-\d+)?)*$/;
const HOST = /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$|^\[[0-9A-Fa-f:.]+\]$/;
const USER = /^[A-Za-z_][A-Za-z0-9._-]*$/;

/**
 * `local@0-1,local@2-3` (taskset CPU lists, `+` joins ranges: local@0+2), `local` (unpinned),
 * `ssh://[user@]host[:port],host2` (a bare item takes the previous item's scheme).
 */
export function parseAgents(text: string): AgentTarget[] {
  const out: AgentTarget[] = [];
  let scheme: 'local' | 'ssh' | undefined;
  for (const raw of text.split(',').map((s) => s.trim())) {
    if (!raw) throw new AgentError('AGENT_BAD_SPEC', `empty item in --agents ${JSON.stringify(text)}`);
    let item = raw;
    if (item.startsWith('ssh://')) {
      scheme = 'ssh';
      item = item.slice(6);
    } else if (item === 'local' || item.startsWith('local@')) {
      scheme = 'local';
    } else if (scheme === undefined) {
      throw new AgentError(
        'AGENT_BAD_SPEC',
        `--agents item ${JSON.stringify(raw)}: expected local[@cpus] or ssh://host`,
      );
    }
    if (scheme === 'local') {
      const cpus = item === 'local' ? undefined : item.startsWith('local@') ? item.slice(6) : item;
      if (cpus !== undefined && !CPU_LIST.test(cpus))
        throw new AgentError('AGENT_BAD_SPEC', `--agents ${JSON.stringify(raw)}: CPU list like 0-1 or 0+2`);
      out.push(cpus === undefined ? { kind: 'local' } : { kind: 'local', cpus });
      continue;
    }
    const m = /^(?:([^@]+)@)?(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(item);
    const user = m?.[1];
    const host = m?.[2] ?? '';
    const port = m?.[3] !== undefined ? Number(m[3]) : undefined;
    if (
      !m ||
      !HOST.test(host) ||
      (user !== undefined && !USER.test(user)) ||
      (port !== undefined && !(port >= 1 && port <= 65535))
    )
      throw new AgentError('AGENT_BAD_SPEC', `--agents ${JSON.stringify(raw)}: expected ssh://[user@]host[:port]`);
    out.push({ kind: 'ssh', host, ...(user ? { user } : {}), ...(port !== undefined ? { port } : {}) });
  }
  if (out.length === 0) throw new AgentError('AGENT_BAD_SPEC', '--agents lists no agent');
  return out;
}

export interface ArgvOptions {
  /** node binary and runner/dist/cli.js for local agents. */
  node: string;
  cli: string;
  /** Command run on an SSH host (whitespace-separated words), default `servebench agent`. */
  remoteCommand?: string;
}

/** The argv that starts agent `target`; the request goes to its stdin, the report comes on its stdout. */
export function agentArgv(target: AgentTarget, o: ArgvOptions): string[] {
  if (target.kind === 'local') {
    const base = [o.node, o.cli, 'agent'];
    return target.cpus ? ['taskset', '-c', target.cpus.replaceAll('+', ','), ...base] : base;
  }
  const words = (o.remoteCommand ?? 'servebench agent').split(/\s+/).filter(Boolean);
  if (words.some((w) => !/^[A-Za-z0-9_./=:@+-]+$/.test(w)))
    throw new AgentError('AGENT_BAD_SPEC', `--agent-command ${JSON.stringify(o.remoteCommand)}: plain words only`);
  return [
    'ssh',
    '-o',
    'BatchMode=yes',
    '-T',
    ...(target.port !== undefined ? ['-p', String(target.port)] : []),
    '--',
    target.user ? `${target.user}@${target.host}` : target.host,
    ...words,
  ];
}
