// What the coordinator sends an agent (JSON on stdin) and what the agent prints (JSON on stdout).
import type { WorkerResult } from '../load/record.js';
import type { LoadSpec } from '../load/types.js';
import { AgentError } from './errors.js';
import type { Segment } from './segment.js';

export interface AgentRequest {
  /** The whole cell; the agent takes its segment of it. */
  spec: LoadSpec;
  segment: Segment;
  /** Common start (wall clock, ms since the epoch): every agent's threads start here. */
  startEpochMs: number;
  /** The target was allowed off loopback by --allow-remote. */
  allowRemote?: boolean;
}

export interface AgentReport {
  segment: Segment;
  /** Connections and rate this agent ran. */
  concurrency: number;
  rate?: number;
  startEpochMs: number;
  /** When its threads were ready; after startEpochMs means the agent started late. */
  readyEpochMs: number;
  successes: number;
  errors: Record<string, number>;
  /** Encoded (compressed base64) HDR latency histogram in µs, all of this agent's threads. */
  histogram: string;
  /** Per thread, with encoded histograms (overall, per window, Server-Timing): merged exactly. */
  workers: WorkerResult[];
  /** Shortest measured span over its threads. */
  measuredMs: number;
  /** CPU time of the agent process (all threads) over the run. */
  cpu: { userMs: number; systemMs: number };
  host: string;
  /** CPUs the agent was allowed to run on (Linux /proc/self/status), to show its pinning. */
  cpus?: string;
  pid: number;
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function parseRequest(text: string): AgentRequest {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new AgentError('AGENT_BAD_REQUEST', `request is not JSON: ${(e as Error).message}`);
  }
  if (!isObj(v) || !isObj(v.spec) || !isObj(v.segment) || typeof v.startEpochMs !== 'number')
    throw new AgentError('AGENT_BAD_REQUEST', 'request needs spec, segment and startEpochMs');
  return v as unknown as AgentRequest;
}

/** Parses one agent's stdout: the last non-empty line is the report. */
export function parseReport(stdout: string, label: string): AgentReport {
  const line = stdout.trim().split('\n').pop() ?? '';
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    throw new AgentError('AGENT_BAD_REPORT', `${label}: stdout is not a JSON report: ${line.slice(0, 200)}`);
  }
  const ok =
    isObj(v) &&
    isObj(v.segment) &&
    typeof v.successes === 'number' &&
    typeof v.histogram === 'string' &&
    Array.isArray(v.workers) &&
    typeof v.measuredMs === 'number' &&
    typeof v.readyEpochMs === 'number' &&
    typeof v.startEpochMs === 'number' &&
    isObj(v.cpu);
  if (!ok) throw new AgentError('AGENT_BAD_REPORT', `${label}: report lacks required fields`);
  return v as unknown as AgentReport;
}
