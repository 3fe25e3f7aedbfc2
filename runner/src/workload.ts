import { HELLO_BODY, ROUTES, type Task } from '@servebench/contract';
import type { Expectation, RequestTemplate } from './load/types.js';

/** The expected answers, from the runner's own in-process tokenizer and model (the oracle). */
export interface Oracle {
  tokenize(text: string): number[];
  embed(texts: string[]): Promise<number[][]>;
}

export interface Workload {
  requests: RequestTemplate[];
  expect: Expectation[];
}

const post = (path: string, text: string): RequestTemplate => ({
  method: 'POST',
  path,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ text }),
});

/** Consecutive groups of n texts (wrapping around), one per request: ceil(texts / n) groups, each exactly n. */
export function groupTexts(texts: string[], n: number): string[][] {
  const groups = Math.max(1, Math.ceil(texts.length / n));
  return Array.from({ length: groups }, (_, g) =>
    Array.from({ length: n }, (_, j) => texts[(g * n + j) % texts.length]!),
  );
}

const postTexts = (path: string, texts: string[]): RequestTemplate => ({
  method: 'POST',
  path,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ texts }),
});

/**
 * Requests for one task over the sentence set, each paired with the exact answer a correct stack gives.
 * textsPerRequest > 1 (`--texts-per-request`) sends client-side batches as `{"texts": [...]}`.
 */
export async function buildWorkload(
  task: Task,
  texts: string[],
  oracle: Oracle,
  tolerance: number,
  textsPerRequest = 1,
): Promise<Workload> {
  if (textsPerRequest > 1 && task !== 'hello_world') {
    const groups = groupTexts(texts, textsPerRequest);
    if (task === 'tokenize') {
      return {
        requests: groups.map((g) => postTexts(ROUTES.tokenize, g)),
        expect: groups.map((g) => ({
          kind: 'json',
          value: {
            results: g.map((t) => {
              const ids = oracle.tokenize(t);
              return { input_ids: ids, attention_mask: ids.map(() => 1), token_type_ids: ids.map(() => 0) };
            }),
          },
        })),
      };
    }
    const byText = new Map<string, number[]>();
    const vectors = await oracle.embed(texts);
    texts.forEach((t, i) => byText.set(t, vectors[i]!));
    return {
      requests: groups.map((g) => postTexts(ROUTES.predict, g)),
      expect: groups.map((g) => ({
        kind: 'embedding',
        field: 'embeddings',
        values: g.map((t) => byText.get(t)!),
        tol: tolerance,
      })),
    };
  }
  if (task === 'hello_world') {
    return { requests: [{ method: 'GET', path: ROUTES.hello }], expect: [{ kind: 'exact', body: HELLO_BODY }] };
  }
  if (task === 'tokenize') {
    return {
      requests: texts.map((t) => post(ROUTES.tokenize, t)),
      expect: texts.map((t) => {
        const ids = oracle.tokenize(t);
        return {
          kind: 'json',
          value: { input_ids: ids, attention_mask: ids.map(() => 1), token_type_ids: ids.map(() => 0) },
        };
      }),
    };
  }
  const vectors = await oracle.embed(texts);
  return {
    requests: texts.map((t) => post(ROUTES.predict, t)),
    expect: vectors.map((v) => ({ kind: 'embedding', field: 'embedding', values: v, tol: tolerance })),
  };
}
