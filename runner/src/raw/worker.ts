// The `raw` ceiling: the same pipeline a server uses (tokenizer, queue, backend, same threads),
// called in-process with no server around it, in a closed loop at the cell's concurrency.
import { readFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { Pipeline, WordPieceTokenizer, createBackend, type BatchingOptions } from '@servebench/inference';
import { Recorder } from '../load/record.js';

export interface RawJob {
  task: 'tokenize' | 'predict';
  onnx: string;
  vocab: string;
  maxLength: number;
  intraOpThreads: number;
  texts: string[];
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  windowMs: number;
  /** The same batch policy as the servers (maxBatchSize 1 = off). */
  batching?: BatchingOptions;
  /** Run in a child process pinned to these CPUs (the server set) instead of a runner thread. */
  cpus?: number[];
}

const job = workerData as RawJob;
const tokenizer = WordPieceTokenizer.fromVocabText(readFileSync(job.vocab, 'utf8'), { maxLength: job.maxLength });
const backend = createBackend({
  backend: 'ort',
  modelPath: job.onnx,
  device: 'cpu',
  intraOpThreads: job.intraOpThreads,
  interOpThreads: 1,
});
await backend.load();
const pipeline = new Pipeline(tokenizer, backend, { maxQueue: Number.MAX_SAFE_INTEGER, batching: job.batching });
const call =
  job.task === 'predict'
    ? (t: string) => pipeline.predict([t])
    : async (t: string) => {
        pipeline.tokenize([t]);
      };

const recorder = new Recorder(Math.ceil(job.durationMs / job.windowMs));
const t0 = performance.now();
const measureFrom = t0 + job.warmupMs;
const end = measureFrom + job.durationMs;
let next = 0;
const elu0 = performance.eventLoopUtilization();

async function loop(): Promise<void> {
  for (;;) {
    const start = performance.now();
    if (start >= end) return;
    await call(job.texts[next++ % job.texts.length]!);
    const done = performance.now();
    // Counted like the engine: a call completing inside the window counts, into the window it completed in.
    if (done >= measureFrom && done < end)
      recorder.success(done - start, Math.floor((done - measureFrom) / job.windowMs), undefined);
  }
}
await Promise.all(Array.from({ length: job.concurrency }, loop));
const elu = performance.eventLoopUtilization(elu0).utilization;
await backend.close();
parentPort!.postMessage(recorder.result(elu, job.durationMs));
