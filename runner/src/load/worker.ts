// Worker-thread entry: receives its share, reports 'ready', runs on 'start',
// posts the result and lets the thread exit by closing its port.
import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { runShare, type WorkerShare } from './loop.js';
import type { WorkerResult } from './record.js';

export type ToWorker = { type: 'start'; startEpochMs: number };
export type FromWorker =
  | { type: 'ready' }
  | { type: 'result'; result: WorkerResult }
  | { type: 'error'; message: string };

const port = parentPort;
if (!port) throw new Error('load worker must run in a worker thread');
const share = workerData as WorkerShare;

const post = (m: FromWorker): void => port.postMessage(m);

port.once('message', (msg: ToWorker) => {
  // Both threads agree on wall-clock epoch; each converts to its own monotonic clock.
  const startAt = msg.startEpochMs - performance.timeOrigin;
  runShare(share, startAt).then(
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
post({ type: 'ready' });
