import assert from 'node:assert/strict';
import { tokenizeFixtures } from '../fixtures.js';
import type { ReadyResponse } from '../types.js';

// The checks the HTTP (checks.ts) and gRPC (grpc/checks.ts) suites share: what they assert does not
// depend on the protocol, only how a text is sent and an answer read, which each flavour gives as a Probe.

/** What every flavour's checks get. */
export interface CommonContext {
  ready: ReadyResponse;
  /** Optional oracle: the expected embeddings for texts, e.g. from an in-process ORT run of the same model. */
  embed?: (texts: string[]) => Promise<number[][]>;
  /** Max abs difference allowed against the oracle. */
  tolerance: number;
}

export interface ConformanceCheck<C> {
  id: string;
  /** Part of the fast subset the runner runs before measuring a stack. */
  fast: boolean;
  run(ctx: C): Promise<void>;
}

export interface CheckOutcome {
  id: string;
  ok: boolean;
  error?: string;
}

/**
 * One protocol's tokenize and predict calls. Each asserts that the call succeeded; the tokenize calls
 * also check the rest of the encoding, the predict calls return the vectors as they came.
 */
export interface Probe {
  tokenize(text: string): Promise<number[]>;
  tokenizeBatch(texts: string[]): Promise<number[][]>;
  predict(text: string): Promise<unknown>;
  predictBatch(texts: string[]): Promise<unknown[]>;
}

/** What an error body or gRPC status details must not contain: a stack frame or a source path. */
export const ERROR_LEAK = /\bat .+:\d+:\d+|node_modules|\/src\/|\/dist\//;

/** The input ids of one unpadded, single-segment encoding, after checking its mask and type ids. */
export function unpaddedIds(e: { input_ids: number[]; attention_mask: number[]; token_type_ids: number[] }): number[] {
  assert.equal(e.attention_mask.length, e.input_ids.length);
  assert.ok(
    e.attention_mask.every((m) => m === 1),
    'unpadded attention_mask is all 1',
  );
  assert.ok(
    e.token_type_ids.every((t) => t === 0),
    'single-segment token_type_ids are all 0',
  );
  return e.input_ids;
}

export const EMBED_SAMPLE = [
  'hello world',
  'The quick brown fox jumps over the lazy dog.',
  '',
  'naïve café [MASK] 東京',
];

export function maxAbsDiff(a: readonly number[], b: readonly number[]): number {
  assert.equal(a.length, b.length, 'vector lengths differ');
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function checkVector(v: unknown, dim: number): number[] {
  assert.ok(Array.isArray(v), 'embedding must be an array');
  assert.equal(v.length, dim, `embedding length must be hidden_size ${dim}`);
  assert.ok(
    v.every((x) => typeof x === 'number' && Number.isFinite(x)),
    'embedding values must be finite numbers',
  );
  return v as number[];
}

async function embeddings(probe: Probe, texts: string[], dim: number): Promise<number[][]> {
  const vectors = await probe.predictBatch(texts);
  assert.ok(Array.isArray(vectors) && vectors.length === texts.length, 'one embedding per text');
  return vectors.map((v) => checkVector(v, dim));
}

/** Every ninth golden fixture, one text a call. */
export async function tokenizeSomeFixtures(probe: Probe): Promise<void> {
  for (const c of tokenizeFixtures().cases.filter((_, i) => i % 9 === 0)) {
    assert.deepEqual(await probe.tokenize(c.text), c.input_ids, `fixture "${c.name}"`);
  }
}

/** Every golden fixture, one text a call, then in batches of max_texts. */
export async function tokenizeEveryFixture(probe: Probe, ready: ReadyResponse): Promise<void> {
  const cases = tokenizeFixtures().cases;
  const mismatches: string[] = [];
  for (const c of cases) {
    const got = await probe.tokenize(c.text);
    if (JSON.stringify(got) !== JSON.stringify(c.input_ids)) mismatches.push(c.name);
  }
  assert.deepEqual(mismatches, [], `fixtures with wrong ids: ${mismatches.join(', ')}`);
  for (let i = 0; i < cases.length; i += ready.limits.max_texts) {
    const chunk = cases.slice(i, i + ready.limits.max_texts);
    assert.deepEqual(
      await probe.tokenizeBatch(chunk.map((c) => c.text)),
      chunk.map((c) => c.input_ids),
    );
  }
}

/** One text and a batch each get finite vectors of hidden_size, one per text. */
export async function predictShapes(probe: Probe, ready: ReadyResponse): Promise<void> {
  checkVector(await probe.predict('hello world'), ready.model.hidden_size);
  assert.equal((await embeddings(probe, EMBED_SAMPLE, ready.model.hidden_size)).length, EMBED_SAMPLE.length);
}

/** The sample's embeddings are within ctx.tolerance of the oracle's (skipped without one). */
export async function predictMatchesReference(probe: Probe, ctx: CommonContext): Promise<void> {
  if (!ctx.embed) return;
  const got = await embeddings(probe, EMBED_SAMPLE, ctx.ready.model.hidden_size);
  const want = await ctx.embed(EMBED_SAMPLE);
  got.forEach((v, i) => {
    const d = maxAbsDiff(v, want[i]!);
    assert.ok(d <= ctx.tolerance, `text ${i}: max abs diff ${d} > ${ctx.tolerance}`);
  });
}

/** Each sample text's embedding is the same alone as in the batch (padding does not leak). */
export async function predictBatchEqualsAlone(probe: Probe, ready: ReadyResponse): Promise<void> {
  const batch = await embeddings(probe, EMBED_SAMPLE, ready.model.hidden_size);
  for (let i = 0; i < EMBED_SAMPLE.length; i++) {
    const alone = checkVector(await probe.predict(EMBED_SAMPLE[i]!), ready.model.hidden_size);
    assert.ok(maxAbsDiff(alone, batch[i]!) <= 1e-5, `text ${i} differs alone vs batched`);
  }
}

/**
 * Runs checks outside any test framework (the runner's verify phase): builds the context, then each
 * check's failure becomes its outcome. A context that cannot be built is one failed outcome named
 * `setupId`. Never throws.
 */
export async function runChecks<C>(
  setupId: string,
  context: () => Promise<C>,
  checks: readonly ConformanceCheck<C>[],
  fast = false,
): Promise<CheckOutcome[]> {
  let ctx: C;
  try {
    ctx = await context();
  } catch (e) {
    return [{ id: setupId, ok: false, error: (e as Error).message }];
  }
  const out: CheckOutcome[] = [];
  for (const check of checks.filter((c) => !fast || c.fast)) {
    try {
      await check.run(ctx);
      out.push({ id: check.id, ok: true });
    } catch (e) {
      out.push({ id: check.id, ok: false, error: (e as Error).message.slice(0, 500) });
    }
  }
  return out;
}

/** The ready answer states the batching policy it applies: whole sizes, or "unknown" (a proxy that cannot tell). */
export function assertBatching(b: unknown, where: string): void {
  if (b === 'unknown') return;
  const p = b as { maxBatchSize?: unknown; maxQueueDelayUs?: unknown } | undefined;
  assert.ok(
    typeof p === 'object' &&
      p !== null &&
      Number.isInteger(p.maxBatchSize) &&
      (p.maxBatchSize as number) >= 1 &&
      Number.isInteger(p.maxQueueDelayUs) &&
      (p.maxQueueDelayUs as number) >= 0,
    `${where} reports its batching policy ({maxBatchSize, maxQueueDelayUs} or "unknown"), got ${JSON.stringify(b)}`,
  );
}
