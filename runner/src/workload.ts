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

/** Requests for one task over the sentence set, each paired with the exact answer a correct stack gives. */
export async function buildWorkload(task: Task, texts: string[], oracle: Oracle, tolerance: number): Promise<Workload> {
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
