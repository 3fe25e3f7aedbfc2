import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { aggregate } from '../load/aggregate.js';
import type { WorkerResult } from '../load/record.js';
import type { LoadResult } from '../load/types.js';
import { pinnedCommand } from '../placement/affinity.js';
import type { RawJob } from './worker.js';

/**
 * Runs one raw cell: in a worker thread of the runner, or with `job.cpus` in a child process pinned
 * to those CPUs (the server set), so it computes where the servers compute.
 */
export async function runRaw(job: RawJob): Promise<LoadResult> {
  const result = job.cpus?.length ? await inChild(job, job.cpus) : await inThread(job);
  return aggregate(
    {
      host: '127.0.0.1',
      port: 0,
      requests: [],
      expect: [],
      mode: 'closed',
      concurrency: job.concurrency,
      warmupMs: job.warmupMs,
      durationMs: job.durationMs,
      windowMs: job.windowMs,
      timeoutMs: 0,
    },
    [result],
  );
}

function inThread(job: RawJob): Promise<WorkerResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: job });
    let result: WorkerResult | undefined;
    worker.once('message', (r: WorkerResult) => (result = r));
    worker.once('error', reject);
    worker.once('exit', (code) =>
      result ? resolve(result) : reject(new Error(`raw worker exited with ${code} and no result`)),
    );
  });
}

function inChild(job: RawJob, cpus: readonly number[]): Promise<WorkerResult> {
  const js = fileURLToPath(new URL('./raw-child.js', import.meta.url));
  const node = existsSync(js)
    ? [process.execPath, js]
    : [process.execPath, '--import', 'tsx', js.replace(/\.js$/, '.ts')];
  const [cmd, ...args] = pinnedCommand(node, cpus);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd!, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      cwd: fileURLToPath(new URL('.', import.meta.url)),
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
    child.once('error', reject);
    child.once('close', (code) => {
      try {
        resolve(JSON.parse(out.trim().split('\n').pop() ?? '') as WorkerResult);
      } catch {
        reject(new Error(`raw child exited with ${code} and no result: ${err.trim()}`));
      }
    });
    child.stdin.end(JSON.stringify(job));
  });
}
