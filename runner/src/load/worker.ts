// HTTP/1.1 worker-thread entry: runs its share of the load when the engine says start.
import { workerData } from 'node:worker_threads';
import { runShare, type WorkerShare } from './loop.js';
import { serveShare } from './worker-port.js';

serveShare((startAt) => runShare(workerData as WorkerShare, startAt));
