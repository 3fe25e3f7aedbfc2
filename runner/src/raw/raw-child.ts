// The raw row in its own process, so placement can pin it to the server CPU set (the runner itself
// runs on the load set): reads a RawJob on stdin, runs worker.ts on a thread, prints its result.
import { Worker } from 'node:worker_threads';
import { spawnWorker } from '@servebench/inference';
import type { WorkerResult } from '../load/record.js';

// Orphaned (the runner was SIGKILLed): stop at once rather than finish the measurement alone.
const parent = process.ppid;
setInterval(() => process.ppid !== parent && process.exit(1), 250).unref();

const chunks: Buffer[] = [];
for await (const c of process.stdin) chunks.push(c as Buffer);
const job: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
const worker: Worker = spawnWorker(new URL('./worker.js', import.meta.url), { workerData: job });
const result = await new Promise<WorkerResult>((resolve, reject) => {
  worker.once('message', resolve);
  worker.once('error', reject);
  worker.once('exit', (code) => reject(new Error(`raw worker exited with ${code} and no result`)));
});
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
