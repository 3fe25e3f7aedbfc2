// gRPC worker-thread entry: connects its channels, reports 'ready', runs its share on 'start'.
import { workerData } from 'node:worker_threads';
import { GrpcPool } from './grpc-client.js';
import { runGrpcShare } from './grpc-loop.js';
import type { GrpcWorkerShare } from './grpc-types.js';
import { serveShare } from './worker-port.js';

// Connecting first keeps the HTTP/2 handshake out of the measurement, as ghz does.
const CONNECT_TIMEOUT_MS = 10_000;

const share = workerData as GrpcWorkerShare;
const pool = new GrpcPool(share);
serveShare((startAt) => runGrpcShare(share, pool, startAt), pool.connect(CONNECT_TIMEOUT_MS));
