// The speedometer's child, pinned by the parent to the server CPU set: loads the model once through the same
// backend and model thread the servers use, then answers each request line with the median time of back-to-back
// model calls over the requested milliseconds. Line protocol on stdin/stdout, one JSON object per line.
import { createInterface } from 'node:readline';
import { packBatch } from '@servebench/inference';
import { serverLikeBackend } from '../raw/server-like.js';
import type { SpeedJob, SpeedReply, SpeedRequest } from './protocol.js';

// Orphaned (the runner was SIGKILLed): stop at once.
const parent = process.ppid;
setInterval(() => process.ppid !== parent && process.exit(1), 250).unref();

const send = (r: SpeedReply) => process.stdout.write(`${JSON.stringify(r)}\n`);
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();

const first = await lines.next();
const job = JSON.parse(String(first.value)) as SpeedJob;
const backend = serverLikeBackend('ort', job.onnx, job.threads);
await backend.load();
const batches = job.ids.map((ids) => packBatch([ids]));
// Every shape once before any reading: a first call per sequence length costs more than the steady state.
for (const b of batches) await backend.embed(b);
send({ ready: true });

let n = 0;
for (let next = await lines.next(); !next.done; next = await lines.next()) {
  const req = JSON.parse(String(next.value)) as SpeedRequest;
  const times: number[] = [];
  const end = performance.now() + req.ms;
  while (times.length < req.minCalls || performance.now() < end) {
    const t = performance.now();
    await backend.embed(batches[n++ % batches.length]!);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  send({ medianMs: times[times.length >> 1]!, calls: times.length });
}
await backend.close();
process.exit(0);
