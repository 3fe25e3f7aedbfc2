// The load workers' side of the engine protocol: report 'ready', run the share on 'start', post the
// result (or the error) and let the thread exit by closing its port.
import { parentPort } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import type { WorkerResult } from './record.js';

export type ToWorker = { type: 'start'; startEpochMs: number };
export type FromWorker =
  { type: 'ready' } | { type: 'result'; result: WorkerResult } | { type: 'error'; message: string };

/**
 * Serves one share on this worker thread: `run(startAt)` on 'start', where startAt is the common
 * start in this thread's performance.now() clock; 'ready' once `ready` resolves.
 */
export function serveShare(
  run: (startAt: number) => Promise<WorkerResult>,
  ready: Promise<void> = Promise.resolve(),
): void {
  const port = parentPort;
  if (!port) throw new Error('a load worker must run in a worker thread');
  const post = (m: FromWorker): void => port.postMessage(m);
  port.once('message', (msg: ToWorker) => {
    // Both threads agree on wall-clock epoch; each converts to its own monotonic clock.
    run(msg.startEpochMs - performance.timeOrigin).then(
      (result) => {
        post({ type: 'result', result });
        port.close();
      },
      (err: unknown) => {
        post({ type: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
        port.close();
      },
    );
  });
  void ready.then(() => post({ type: 'ready' }));
}
