// A runtime ceiling in its own process (pinned by the parent to the server's CPUs): back-to-back
// model calls on pre-tokenized input, through the same backend and model thread the servers use.
// Reads a CeilingChildJob as JSON on stdin, writes one CeilingChildReply line on stdout.
import { readFileSync } from 'node:fs';
import { packBatch, type EncodedBatch } from '@servebench/inference';
import { serverLikeBackend } from './server-like.js';
import { CompletionCounter } from './count.js';
import type { CeilingChildJob, CeilingChildReply } from './ceiling-types.js';

// Orphaned (the runner was SIGKILLed): stop at once rather than finish the measurement alone.
const parent = process.ppid;
setInterval(() => process.ppid !== parent && process.exit(1), 250).unref();

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function main(): Promise<CeilingChildReply> {
  const job = JSON.parse(await readStdin()) as CeilingChildJob;
  const backend = serverLikeBackend(job.runtime === 'tfjs-wasm' ? 'tfjs-wasm' : 'ort', job.onnx, job.threads);
  await backend.load();
  const batches: EncodedBatch[] = [];
  for (let i = 0; i < job.ids.length; i += job.batch) {
    const group = job.ids.slice(i, i + job.batch);
    if (group.length === job.batch) batches.push(packBatch(group));
  }
  if (!batches.length) throw new Error(`fewer sequences (${job.ids.length}) than one batch of ${job.batch}`);
  // Every padded shape once before the clock: this process is new each round, while the server it is compared
  // with has long met every length. tfjs-wasm pays per new shape (its 0.5 s warm-up met about 10 of them, and the
  // ceiling then read 17-19 req/s under a warm tfjs-wasm server's 23-27).
  const shapes = new Set<number>();
  for (const b of batches) {
    if (shapes.has(b.seqLen)) continue;
    shapes.add(b.seqLen);
    await backend.embed(b);
  }
  const t0 = performance.now();
  const counter = new CompletionCounter(t0 + job.warmupMs, t0 + job.warmupMs + job.durationMs, job.windowMs, job.batch);
  let n = 0;
  for (;;) {
    const start = performance.now();
    if (start >= counter.measEnd) break;
    await backend.embed(batches[n++ % batches.length]!);
    counter.record(start, performance.now());
  }
  // Where this process was allowed to run, for the parent to record (and check) beside the count.
  const allowed = /^Cpus_allowed_list:\s*(\S+)/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '?';
  const info = { ...backend.info(), cpus_allowed: allowed };
  await backend.close();
  return { ok: true, run: counter.result(), info };
}

main().then(
  (r) => process.stdout.write(`${JSON.stringify(r)}\n`),
  (e: unknown) => {
    const reply: CeilingChildReply = { ok: false, error: e instanceof Error ? e.message : String(e) };
    process.stdout.write(`${JSON.stringify(reply)}\n`);
    process.exitCode = 1;
  },
);
