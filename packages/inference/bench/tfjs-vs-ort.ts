// tfjs-wasm against onnxruntime on the same model and batches, one thread each:
//   npx tsx packages/inference/bench/tfjs-vs-ort.ts            (needs packages/model built)
// SERVEBENCH_BENCH_SECONDS sets the measuring time per backend and batch size (default 3);
// SERVEBENCH_BENCH_MODEL the config (default mini). Calls are timed one by one, in alternating
// rounds so that drift on a noisy machine hits both backends alike. Prints ms per call and the ratio.
import { readFileSync } from 'node:fs';
import { ensureModel, isModelConfigName } from '@servebench/model';
import { packBatch, type Backend, type EncodedBatch } from '../src/index.js';
import { OrtBackend } from '../src/ort.js';
import { TfjsBackend } from '../src/tfjs/index.js';
import { WordPieceTokenizer } from '../src/tokenizer/index.js';

const SECONDS = Number(process.env.SERVEBENCH_BENCH_SECONDS ?? 3);
const MODEL = process.env.SERVEBENCH_BENCH_MODEL ?? 'mini';
const SEQ = 16;
if (!isModelConfigName(MODEL)) throw new Error(`SERVEBENCH_BENCH_MODEL=${MODEL} is not a model config`);

// Longer than SEQ word pieces, so truncation makes every row exactly SEQ tokens.
const SENTENCES = [
  'The quick brown fox jumps over the lazy dog near the river bank at dawn today.',
  'Serving models fast is mostly about avoiding idle time on accelerators and queues.',
  'Please book a table for two at seven tonight, and a taxi home at eleven, thanks!',
  'The train to the airport leaves every twenty minutes from platform four on weekdays.',
  'My laptop battery drains much faster since the last software update was installed.',
  'Is this restaurant open on public holidays and late on Sundays during the summer?',
  'She planted tomatoes, basil and peppers in the garden this spring after the frost.',
  'Tokenization splits unaffordable words into smaller pieces for the model to embed.',
];

const files = await ensureModel(MODEL);
const tokenizer = WordPieceTokenizer.fromVocabText(readFileSync(files.vocab, 'utf8'), { maxLength: SEQ });
const ort = new OrtBackend({ modelPath: files.onnx, device: 'cpu', intraOpThreads: 1, interOpThreads: 1 });
const tfjs = new TfjsBackend({ backend: 'tfjs-wasm', modelPath: files.onnx, device: 'cpu', intraOpThreads: 1 });
await Promise.all([ort.load(), tfjs.load()]);

async function round(b: Backend, batch: EncodedBatch, ms: number, out: number[]): Promise<void> {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    const t0 = performance.now();
    await b.embed(batch);
    out.push(performance.now() - t0);
  }
}

const stat = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return { n: s.length, p50: q(0.5), p90: q(0.9), mean: s.reduce((a, b) => a + b, 0) / s.length };
};
const f = (x: number) => x.toFixed(3).padStart(8);

console.log(
  `model ${MODEL}, seq ${SEQ}, 1 thread each; ort ${ort.info().runtime}; ${tfjs.info().runtime} (threads ${tfjs.info().threads})`,
);
console.log('batch  backend          calls   p50 ms   p90 ms  mean ms');
for (const size of [1, 8]) {
  const batch = packBatch(
    SENTENCES.slice(0, size).map((t) => tokenizer.encode(t)),
    tokenizer.padId,
  );
  if (batch.seqLen !== SEQ) throw new Error(`expected seq ${SEQ}, got ${batch.seqLen}`);
  const times: Record<'ort' | 'tfjs', number[]> = { ort: [], tfjs: [] };
  await round(ort, batch, 300, []);
  await round(tfjs, batch, 300, []);
  const rounds = 6;
  for (let r = 0; r < rounds; r++) {
    await round(ort, batch, (SECONDS * 1000) / rounds, times.ort);
    await round(tfjs, batch, (SECONDS * 1000) / rounds, times.tfjs);
  }
  const o = stat(times.ort);
  const t = stat(times.tfjs);
  console.log(
    `${String(size).padStart(5)}  onnxruntime     ${String(o.n).padStart(6)} ${f(o.p50)} ${f(o.p90)} ${f(o.mean)}`,
  );
  console.log(
    `${String(size).padStart(5)}  tfjs-wasm       ${String(t.n).padStart(6)} ${f(t.p50)} ${f(t.p90)} ${f(t.mean)}`,
  );
  console.log(
    `${String(size).padStart(5)}  tfjs/ort ratio         ${f(t.p50 / o.p50)} ${f(t.p90 / o.p90)} ${f(t.mean / o.mean)}`,
  );
}
await Promise.all([ort.close(), tfjs.close()]);
