// Runtime ceilings: each one a child process on the server's CPU set (taskset), calling the model
// back to back with the same thread count as the servers. 12a's rounds call measureCeiling once per
// runtime per round, beside the stacks.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WordPieceTokenizer } from '@servebench/inference';
import { pinnedCommand } from '../placement/affinity.js';
import { formatCpuList } from '../placement/cpus.js';
import type { CeilingChildJob, CeilingChildReply, CeilingRuntime } from './ceiling-types.js';
import type { CountedRun } from './count.js';

export { CEILING_RUNTIMES, type CeilingRuntime } from './ceiling-types.js';

/** The Python interpreter of the Python stacks (the fastapi workspace's venv), relative to the repo root. */
export const PYTHON_VENV = 'servers/fastapi/.venv/bin/python';
const PYTHON_SRC = 'servers/python-common/src';

export interface CeilingJob {
  runtime: CeilingRuntime;
  /** Repo root (for the Python venv). */
  root: string;
  onnx: string;
  vocab: string;
  maxLength: number;
  texts: readonly string[];
  threads: number;
  batch?: number;
  warmupMs: number;
  durationMs: number;
  windowMs: number;
  /** The server CPU set; undefined when placement is off. */
  cpus?: readonly number[];
  /** Kill the child after this long (default: warm-up + duration + 120 s for loading). */
  timeoutMs?: number;
}

export type CeilingResult =
  | ({ status: 'ok'; runtime: CeilingRuntime; threads: number; batch: number; cpus?: string } & CountedRun & {
        info: Record<string, string>;
      })
  | { status: 'unavailable' | 'failed'; runtime: CeilingRuntime; reason: string };

/**
 * Which ceiling bounds a stack's predict: its in-process runtime. Model servers have none here: Triton
 * batches concurrent calls itself (dynamic_batching), so one-call-at-a-time is no bound for it, and
 * TF Serving is not onnxruntime; tfjs (auto) picks its runtime at start.
 */
export function ceilingRuntimeFor(stack: { backend: string; language?: string }): CeilingRuntime | undefined {
  if (stack.backend === 'ort') return stack.language === 'python' ? 'ort-python' : 'ort-node';
  if (stack.backend === 'tfjs-wasm') return 'tfjs-wasm';
  return undefined;
}

/** `node <child>.js`, or from TypeScript sources (vitest) `node --import tsx <child>.ts`. */
function nodeChild(): string[] {
  const js = fileURLToPath(new URL('./ceiling-node.js', import.meta.url));
  if (existsSync(js)) return [process.execPath, js];
  return [process.execPath, '--import', 'tsx', js.replace(/\.js$/, '.ts')];
}

function command(job: CeilingJob): { cmd: string[]; env: NodeJS.ProcessEnv } | { reason: string } {
  if (job.runtime !== 'ort-python') return { cmd: nodeChild(), env: process.env };
  const python = join(job.root, PYTHON_VENV);
  if (!existsSync(python)) return { reason: `${PYTHON_VENV} not found (build the fastapi workspace)` };
  // ceiling.py is not compiled: from dist/raw or src/raw, ../../src/raw is the source copy.
  const script = fileURLToPath(new URL('../../src/raw/ceiling.py', import.meta.url));
  return {
    cmd: [python, script],
    env: { ...process.env, PYTHONPATH: join(job.root, PYTHON_SRC), OMP_NUM_THREADS: String(job.threads) },
  };
}

/** Tokenizes once (not timed), runs the child pinned to `cpus`, returns its count. Never throws. */
export async function measureCeiling(job: CeilingJob): Promise<CeilingResult> {
  const c = command(job);
  if ('reason' in c) return { status: 'unavailable', runtime: job.runtime, reason: c.reason };
  const tokenizer = WordPieceTokenizer.fromVocabText(readFileSync(job.vocab, 'utf8'), { maxLength: job.maxLength });
  const batch = job.batch ?? 1;
  const childJob: CeilingChildJob = {
    runtime: job.runtime,
    onnx: job.onnx,
    ids: job.texts.map((t) => tokenizer.encode(t)),
    threads: job.threads,
    batch,
    warmupMs: job.warmupMs,
    durationMs: job.durationMs,
    windowMs: job.windowMs,
  };
  const [cmd, ...args] = pinnedCommand(c.cmd, job.cpus);
  const timeoutMs = job.timeoutMs ?? job.warmupMs + job.durationMs + 120_000;
  const out = await new Promise<{ stdout: string; stderr: string; code: number | null; error?: string }>((resolve) => {
    const child = spawn(cmd!, args, {
      env: c.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      cwd: fileURLToPath(new URL('.', import.meta.url)),
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    child.once('error', (e) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, code: null, error: e.message });
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, code });
    });
    child.stdin.end(JSON.stringify(childJob));
  });
  const line = out.stdout.trim().split('\n').pop() ?? '';
  let reply: CeilingChildReply | undefined;
  try {
    reply = JSON.parse(line) as CeilingChildReply;
  } catch {
    reply = undefined;
  }
  if (!reply) {
    const why = out.error ?? `exited with ${out.code ?? 'a signal (timeout?)'}`;
    return { status: 'failed', runtime: job.runtime, reason: `${why}: ${out.stderr.trim().slice(-500)}` };
  }
  if (!reply.ok) {
    return { status: reply.unavailable ? 'unavailable' : 'failed', runtime: job.runtime, reason: reply.error };
  }
  return {
    status: 'ok',
    runtime: job.runtime,
    threads: job.threads,
    batch,
    ...(job.cpus ? { cpus: formatCpuList(job.cpus) } : {}),
    ...reply.run,
    info: reply.info,
  };
}
