// Dynamic batching, in process (no server): a closed loop of CONCURRENCY callers, each sending one
// short sentence per request to Pipeline.predict over ORT, with batching off and on, side by side:
//   npx tsx packages/inference/bench/batching.ts            (needs packages/model built)
// Environment (all optional): SERVEBENCH_BENCH_SECONDS per cell and round (default 3),
// SERVEBENCH_BENCH_ROUNDS (default 3; cells are interleaved round by round so that drift in machine
// load hits every configuration alike), SERVEBENCH_CONCURRENCY (32), SERVEBENCH_MODEL (mini),
// SERVEBENCH_THREADS (ORT intra-op threads, 1), SERVEBENCH_BENCH_MIXED=1 to add a mixed-length
// workload that shows the padding limit (maxPaddingRatio) at work.
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { ensureModel, isModelConfigName } from '@servebench/model';
import { OrtBackend } from '../src/ort.js';
import { Pipeline } from '../src/pipeline.js';
import type { BatchingOptions, BatchReport } from '../src/batcher.js';
import { WordPieceTokenizer } from '../src/tokenizer/index.js';
import { SHORT } from './sentences.js';

const env = process.env;
const SECONDS = Number(env.SERVEBENCH_BENCH_SECONDS ?? 3);
const ROUNDS = Number(env.SERVEBENCH_BENCH_ROUNDS ?? 3);
const CONCURRENCY = Number(env.SERVEBENCH_CONCURRENCY ?? 32);
const THREADS = Number(env.SERVEBENCH_THREADS ?? 1);
const MODEL = env.SERVEBENCH_MODEL ?? 'mini';
if (!isModelConfigName(MODEL))
  throw new Error(`SERVEBENCH_MODEL=${MODEL} is invalid: expected tiny, mini, small or base`);

// One request in eight is a paragraph of ~8 sentences: the case where padding to the longest hurts.
const MIXED = SHORT.map((s, i) =>
  i % 8 === 0 ? Array.from({ length: 8 }, (_, k) => SHORT[(i + k * 3) % SHORT.length]!).join(' ') : s,
);

interface Cell {
  name: string;
  batching: BatchingOptions | undefined;
}

interface Tally {
  latencies: number[];
  ms: number;
  batches: number;
  rows: number;
  padded: number;
  real: number;
}

const OFF: Cell = { name: 'off (serial)', batching: undefined };
const on = (delayUs: number, extra: Partial<BatchingOptions> = {}, label = ''): Cell => ({
  name: `max 32, delay ${delayUs} us${label}`,
  batching: { maxBatchSize: 32, maxQueueDelayUs: delayUs, ...extra },
});

async function measure(
  pipeline: Pipeline,
  texts: readonly string[],
  seconds: number,
  t: Tally,
  reports: BatchReport[],
): Promise<void> {
  reports.length = 0;
  const start = performance.now();
  const deadline = start + seconds * 1000;
  let next = 0;
  const worker = async () => {
    while (performance.now() < deadline) {
      const text = texts[next++ % texts.length]!;
      const t0 = performance.now();
      await pipeline.predict([text]);
      t.latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  t.ms += performance.now() - start;
  for (const r of reports) {
    t.batches++;
    t.rows += r.size;
    t.padded += r.size * r.seqLen;
    t.real += r.realTokens;
  }
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

async function run(
  title: string,
  texts: readonly string[],
  cells: Cell[],
  tokenizer: WordPieceTokenizer,
  backend: OrtBackend,
) {
  const reports: BatchReport[] = [];
  const observer = { onBatch: (r: BatchReport) => reports.push(r), onQueueWait: () => {} };
  const pipelines = cells.map(
    (c) => new Pipeline(tokenizer, backend, { maxQueue: 4096, batching: c.batching, observer }),
  );
  const tallies: Tally[] = cells.map(() => ({ latencies: [], ms: 0, batches: 0, rows: 0, padded: 0, real: 0 }));
  const scratch: Tally = { latencies: [], ms: 0, batches: 0, rows: 0, padded: 0, real: 0 };
  for (const p of pipelines) await measure(p, texts, 0.5, scratch, reports); // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < cells.length; i++) await measure(pipelines[i]!, texts, SECONDS, tallies[i]!, reports);
  }
  console.log(`\n## ${title}\n`);
  console.log('| batching | req/s | vs off | p50 ms | p99 ms | mean batch | padding (padded/real) |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  const base = tallies[0]!.latencies.length / (tallies[0]!.ms / 1000);
  cells.forEach((c, i) => {
    const t = tallies[i]!;
    const rps = t.latencies.length / (t.ms / 1000);
    const sorted = t.latencies.sort((a, b) => a - b);
    console.log(
      `| ${c.name} | ${rps.toFixed(0)} | ${(rps / base).toFixed(2)}x | ${pct(sorted, 50).toFixed(2)} | ${pct(sorted, 99).toFixed(2)} | ${(t.rows / t.batches).toFixed(1)} | ${(t.padded / t.real).toFixed(3)} |`,
    );
  });
}

const files = await ensureModel(MODEL);
const tokenizer = WordPieceTokenizer.fromVocabText(readFileSync(files.vocab, 'utf8'), {
  maxLength: files.config.maxPositions,
});
const backend = new OrtBackend({ modelPath: files.onnx, device: 'cpu', intraOpThreads: THREADS, interOpThreads: 1 });
await backend.load();
console.log(
  `# dynamic batching, in process: model ${MODEL}, ${backend.info().runtime}, ${THREADS} intra-op thread(s), concurrency ${CONCURRENCY}, ` +
    `${ROUNDS} x ${SECONDS} s per cell, node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? '?'}, load average at start ${loadavg()[0]!.toFixed(1)}`,
);
await run('short sentences', SHORT, [OFF, on(0), on(500), on(2000)], tokenizer, backend);
if (env.SERVEBENCH_BENCH_MIXED === '1') {
  const noCut = { maxPaddingRatio: Number.POSITIVE_INFINITY };
  await run(
    'mixed lengths (1 in 8 is a paragraph)',
    MIXED,
    [
      OFF,
      on(500, noCut, ', no padding limit'),
      on(500, { maxPaddingRatio: 2 }, ', padding limit 2x'),
      on(500, {}, ', padding limit 1.5x (default)'),
    ],
    tokenizer,
    backend,
  );
}
console.log(`\nload average at end ${loadavg()[0]!.toFixed(1)}`);
await backend.close();
