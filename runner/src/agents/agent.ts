// `servebench agent`: runs one segment of a cell's load from a common start and reports what it measured.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { runWorkerShares, splitSpec, validateSpec } from '../load/engine.js';
import type { WorkerResult } from '../load/record.js';
import { encodeHistogram, mergeEncoded } from '../stats/histogram.js';
import { AgentError } from './errors.js';
import type { AgentReport, AgentRequest } from './protocol.js';
import { segmentSpec } from './segment.js';

/** The CPUs this process may run on (Linux), as taskset left them; undefined elsewhere. */
function cpusAllowed(): string | undefined {
  try {
    return /^Cpus_allowed_list:\s*(\S+)/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

export async function runAgent(req: AgentRequest): Promise<AgentReport> {
  const spec = segmentSpec(req.spec, req.segment);
  try {
    validateSpec(spec, { allowRemote: req.allowRemote === true });
  } catch (e) {
    throw new AgentError('AGENT_BAD_REQUEST', (e as Error).message);
  }
  const cpu0 = process.cpuUsage();
  let readyEpochMs = NaN;
  let workers: WorkerResult[] = [];
  await runWorkerShares(new URL('../load/worker.js', import.meta.url), splitSpec(spec), spec, 'agent', undefined, {
    startEpochMs: req.startEpochMs,
    onStart: (t) => (readyEpochMs = t),
    onResults: (r) => (workers = r),
  });
  const cpu = process.cpuUsage(cpu0);
  const errors: Record<string, number> = {};
  for (const w of workers) for (const [k, n] of Object.entries(w.errors)) errors[k] = (errors[k] ?? 0) + n;
  return {
    segment: req.segment,
    concurrency: spec.concurrency,
    ...(spec.rate !== undefined ? { rate: spec.rate } : {}),
    startEpochMs: req.startEpochMs,
    readyEpochMs,
    successes: workers.reduce((a, w) => a + w.successes, 0),
    errors,
    histogram: encodeHistogram(mergeEncoded(workers.map((w) => w.hist))),
    workers,
    measuredMs: Math.min(...workers.map((w) => w.measuredMs)),
    cpu: { userMs: cpu.user / 1000, systemMs: cpu.system / 1000 },
    host: hostname(),
    ...(cpusAllowed() !== undefined ? { cpus: cpusAllowed()! } : {}),
    pid: process.pid,
  };
}
