// Test helpers: build padded batches and run a forged model in onnxruntime-node.
import ort from 'onnxruntime-node';
import { mulberry32 } from '../prng.js';
import type { ReferenceBatch } from './reference.js';

export interface Sequence {
  ids: number[];
  types?: number[];
}

/** Right-pads to the longest sequence with padId, mask 0 and padType. */
export function padBatch(seqs: Sequence[], padId = 0, padType = 0): ReferenceBatch {
  const len = Math.max(...seqs.map((s) => s.ids.length));
  const pad = (xs: number[], v: number): number[] => [...xs, ...new Array<number>(len - xs.length).fill(v)];
  return {
    inputIds: seqs.map((s) => pad(s.ids, padId)),
    attentionMask: seqs.map((s) =>
      pad(
        s.ids.map(() => 1),
        0,
      ),
    ),
    tokenTypeIds: seqs.map((s) => pad(s.types ?? s.ids.map(() => 0), padType)),
  };
}

/** [CLS] + n-2 seeded word-piece ids + [SEP]. */
export function randomSentence(seed: number, n: number, vocabSize = 30522): number[] {
  const next = mulberry32(seed);
  const body = Array.from({ length: n - 2 }, () => 999 + (next() % (vocabSize - 999)));
  return [101, ...body, 102];
}

export async function openSession(model: Uint8Array | string): Promise<ort.InferenceSession> {
  const opts = { executionProviders: ['cpu'], intraOpNumThreads: 1 };
  return typeof model === 'string'
    ? ort.InferenceSession.create(model, opts)
    : ort.InferenceSession.create(model, opts);
}

export async function runEmbed(
  session: ort.InferenceSession,
  batch: ReferenceBatch,
): Promise<{ dims: readonly number[]; rows: Float32Array[] }> {
  const b = batch.inputIds.length;
  const s = batch.inputIds[0]?.length ?? 0;
  const t = (rows: number[][]): ort.Tensor => new ort.Tensor('int64', BigInt64Array.from(rows.flat(), BigInt), [b, s]);
  const out = await session.run({
    input_ids: t(batch.inputIds),
    attention_mask: t(batch.attentionMask),
    token_type_ids: t(batch.tokenTypeIds),
  });
  const e = out.embedding;
  if (!e) throw new Error('no embedding output');
  const data = e.data as Float32Array;
  const h = e.dims[1] ?? 0;
  return { dims: e.dims, rows: Array.from({ length: b }, (_, i) => data.slice(i * h, (i + 1) * h)) };
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length mismatch ${a.length} vs ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] as number) - (b[i] as number)));
  return max;
}
