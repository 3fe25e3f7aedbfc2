import { Worker } from 'node:worker_threads';
import { aggregate } from '../load/aggregate.js';
import type { WorkerResult } from '../load/record.js';
import type { LoadResult } from '../load/types.js';
import type { RawJob } from './worker.js';

/** Runs one raw-ceiling cell in a worker thread, so the runner's own timers do not share its event loop. */
export function runRaw(job: RawJob): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: job });
    let result: WorkerResult | undefined;
    worker.once('message', (r: WorkerResult) => (result = r));
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (!result) return reject(new Error(`raw worker exited with ${code} and no result`));
      resolve(
        aggregate(
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
        ),
      );
    });
  });
}
