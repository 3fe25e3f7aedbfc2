import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { CheckOutcome, Task } from '@servebench/contract';
import type { Environment } from './environment.js';
import type { LoadResult } from './load/types.js';
import type { BatchHistogram } from './scrape.js';
import type { RunSettings } from './profiles.js';

export interface ResourceStats {
  meanCpuPct: number;
  peakCpuPct: number;
  peakRssMb: number;
  samples: Array<{ tS: number; cpuPct: number; rssMb: number }>;
}

export interface CellResult {
  task: Task;
  concurrency: number;
  /** ok: measured and stable; unstable: measured, last windows disagree; failed: no successes or the stack died. */
  status: 'ok' | 'unstable' | 'failed';
  reason?: string;
  load: Omit<LoadResult, 'windows'> & { windows: LoadResult['windows'] };
  stability: { stable: boolean; spread: number; threshold: number; lastN: number };
  clientBound: boolean;
  resources?: ResourceStats;
  /** Batch sizes the server formed during the cell (from its /metrics); queue time is in load.serverTiming.queue. */
  batching?: BatchHistogram;
  startedAt: string;
}

export type StackStatus = 'ok' | 'failed-launch' | 'failed-verification' | 'crashed' | 'skipped' | 'pending';

export interface StackResult {
  id: string;
  server: string;
  backend: string;
  protocol: 'http' | 'grpc' | 'in-process';
  /** Server language (`python` for the seed's peers); absent for the raw row. */
  language?: string;
  launcher: 'process' | 'compose' | 'none';
  status: StackStatus;
  reason?: string;
  coldStartMs?: number;
  modelLoadMs?: number;
  backendInfo?: Record<string, string>;
  verification?: CheckOutcome[];
  cells: CellResult[];
}

export interface RunResults {
  schema: 1;
  runId: string;
  status: 'running' | 'complete' | 'interrupted';
  startedAt: string;
  finishedAt?: string;
  wallS?: number;
  settings: RunSettings;
  environment: Environment;
  model: { name: string; seed: number; sha256: string; hiddenSize: number; layers: number };
  stacks: StackResult[];
}

/**
 * Write, fsync, then rename (and fsync the directory): a run killed at any moment, or a machine that
 * loses power, leaves the previous complete JSON. On any error (ENOSPC, EFBIG) the temporary file is
 * removed and the error thrown; the previous file is untouched.
 */
export function writeJsonAtomic(file: string, value: unknown): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    const fd = openSync(tmp, 'w');
    try {
      writeFileSync(fd, `${JSON.stringify(value, null, 2)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  try {
    const dir = openSync(dirname(file), 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  } catch {
    // a file system that cannot fsync a directory: the rename is still atomic
  }
}

export function readResults(file: string): RunResults {
  const r = JSON.parse(readFileSync(file, 'utf8')) as RunResults;
  if (r.schema !== 1 || !Array.isArray(r.stacks)) throw new Error(`${file} is not a servebench results file`);
  return r;
}
