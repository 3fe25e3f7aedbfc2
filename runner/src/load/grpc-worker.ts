// gRPC worker-thread entry: connects its channels, reports 'ready', runs on 'start', posts the result.
import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { GrpcPool } from './grpc-client.js';
import { runGrpcShare } from './grpc-loop.js';
import type { GrpcWorkerShare } from './grpc-types.js';
import type { FromWorker, ToWorker } from './worker.js';

// Connecting first keeps the HTTP/2 handshake out of the measurement, as ghz does.
const CONNECT_TIMEOUT_MS = 10_000;

const port = parentPort;
if (!port) throw new Error('gRPC load worker must run in a worker thread');
const share = workerData as GrpcWorkerShare;
const post = (m: FromWorker): void => port.postMessage(m);

const pool = new GrpcPool(share);
port.once('message', (msg: ToWorker) => {
  runGrpcShare(share, pool, msg.startEpochMs - performance.timeOrigin).then(
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
void pool.connect(CONNECT_TIMEOUT_MS).then(() => post({ type: 'ready' }));
