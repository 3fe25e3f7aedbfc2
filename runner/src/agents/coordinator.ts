// Starts every agent of a cell together (one common start time), waits for all of them, checks they
// covered the window and merges them. Any agent failing fails the cell; the others are stopped.
import { spawn, type ChildProcess } from 'node:child_process';
import type { LoadResult, LoadSpec } from '../load/types.js';
import { AgentError } from './errors.js';
import { mergeAgents, summarizeAgents, type AgentSummary } from './merge.js';
import { parseReport, type AgentReport, type AgentRequest } from './protocol.js';
import { segmentSpec } from './segment.js';
import { agentArgv, type AgentTarget, type ArgvOptions } from './targets.js';

export interface CoordinatorOptions extends ArgvOptions {
  /** Time from spawning the agents to the common start: covers node start-up and worker spawn. */
  leadMs?: number;
  allowRemote?: boolean;
  /** Where agent stderr goes (one line per chunk, prefixed). */
  log?: (line: string) => void;
}

export interface AgentsResult {
  result: LoadResult;
  agents: AgentSummary[];
  reports: AgentReport[];
}

const DEFAULT_LEAD_MS = 5_000;
const STDERR_TAIL = 2_000;

function runOne(
  argv: string[],
  req: AgentRequest,
  label: string,
  children: ChildProcess[],
  log?: (line: string) => void,
): Promise<AgentReport> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    children.push(child);
    let out = '';
    let err = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      err = (err + d).slice(-STDERR_TAIL);
      log?.(`${label}: ${d.trimEnd()}`);
    });
    child.on('error', (e) => reject(new AgentError('AGENT_FAILED', `${label}: cannot start ${argv[0]}: ${e.message}`)));
    child.on('close', (code, signal) => {
      if (code !== 0)
        return reject(
          new AgentError(
            'AGENT_FAILED',
            `${label} exited ${signal ?? code}: ${err.trim().split('\n').slice(-3).join(' | ')}`,
          ),
        );
      try {
        resolve(parseReport(out, label));
      } catch (e) {
        reject(e as Error);
      }
    });
    child.stdin!.on('error', () => {}); // an agent that dies at once is reported by 'close'
    child.stdin!.end(JSON.stringify(req));
  });
}

function stopAll(children: ChildProcess[]): void {
  for (const c of children) {
    if (c.exitCode !== null || c.signalCode !== null || c.pid === undefined) continue;
    try {
      process.kill(-c.pid, 'SIGTERM'); // its own process group (taskset execs node in place)
    } catch {
      c.kill('SIGTERM');
    }
  }
}

/** Runs `spec` split over `targets` (segment i/N each) and merges the result exactly. */
export async function runOnAgents(
  spec: LoadSpec,
  targets: readonly AgentTarget[],
  o: CoordinatorOptions,
): Promise<AgentsResult> {
  const count = targets.length;
  for (let index = 0; index < count; index++) segmentSpec(spec, { index, count }); // fail before starting any
  const startEpochMs = Date.now() + (o.leadMs ?? DEFAULT_LEAD_MS);
  const children: ChildProcess[] = [];
  const budgetMs = (o.leadMs ?? DEFAULT_LEAD_MS) + spec.warmupMs + spec.durationMs + 2 * spec.timeoutMs + 30_000;
  let timer: NodeJS.Timeout | undefined;
  try {
    const all = Promise.all(
      targets.map((t, index) =>
        runOne(
          agentArgv(t, o),
          { spec, segment: { index, count }, startEpochMs, ...(o.allowRemote ? { allowRemote: true } : {}) },
          `agent ${index}/${count} (${t.kind === 'local' ? `local${t.cpus ? `@${t.cpus}` : ''}` : t.host})`,
          children,
          o.log,
        ),
      ),
    );
    const timeout = new Promise<never>((_, rej) => {
      timer = setTimeout(
        () => rej(new AgentError('AGENT_FAILED', `agents still running after ${budgetMs} ms`)),
        budgetMs,
      );
    });
    const reports = await Promise.race([all, timeout]);
    return { result: mergeAgents(spec, reports), agents: summarizeAgents(reports), reports };
  } finally {
    clearTimeout(timer);
    stopAll(children);
  }
}
