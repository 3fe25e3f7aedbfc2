import type { Task } from '@servebench/contract';
import type { Oracle } from '../workload.js';
import type { GrpcRequestTemplate } from './grpc-types.js';
import type { Expectation } from './types.js';

export interface GrpcWorkload {
  requests: GrpcRequestTemplate[];
  expect: Expectation[];
}

/** workload.ts for gRPC: the same texts and oracle answers, as servebench.v1.Serving calls. */
export async function buildGrpcWorkload(
  task: Task,
  texts: string[],
  oracle: Oracle,
  tolerance: number,
): Promise<GrpcWorkload> {
  if (task === 'hello_world')
    return { requests: [{ method: 'HelloWorld', message: {} }], expect: [{ kind: 'json', value: { hello: 'World' } }] };
  if (task === 'tokenize') {
    return {
      requests: texts.map((text) => ({ method: 'Tokenize', message: { text } })),
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
    requests: texts.map((text) => ({ method: 'Predict', message: { text } })),
    expect: vectors.map((values) => ({ kind: 'embedding', field: 'embedding', values, tol: tolerance })),
  };
}
