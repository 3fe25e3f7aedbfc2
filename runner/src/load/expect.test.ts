import { describe, expect, it } from 'vitest';
import { compileExpectation } from './expect.js';

const b = (s: string) => Buffer.from(s);

describe('compileExpectation', () => {
  it('exact: byte-equal, else JSON-deep-equal fallback', () => {
    const c = compileExpectation({ kind: 'exact', body: '{"a":1,"b":[1,2]}' });
    expect(c(b('{"a":1,"b":[1,2]}'))).toBe(true);
    expect(c(b('{ "b": [1, 2], "a": 1 }'))).toBe(true);
    expect(c(b('{"a":1,"b":[2,1]}'))).toBe(false);
    const t = compileExpectation({ kind: 'exact', body: 'hello' });
    expect(t(b('hello'))).toBe(true);
    expect(t(b('hello '))).toBe(false);
  });
  it('json: deep equal', () => {
    const c = compileExpectation({ kind: 'json', value: { labels: ['x'], score: 0.5 } });
    expect(c(b('{"score":0.5,"labels":["x"]}'))).toBe(true);
    expect(c(b('{"score":0.5,"labels":["x"],"extra":1}'))).toBe(false);
    expect(c(b('not json'))).toBe(false);
  });
  it('embedding: same shape and max abs diff <= tol', () => {
    const one = compileExpectation({ kind: 'embedding', field: 'embedding', values: [0.1, 0.2, 0.3], tol: 1e-3 });
    expect(one(b('{"embedding":[0.1005,0.1995,0.3]}'))).toBe(true);
    expect(one(b('{"embedding":[0.102,0.2,0.3]}'))).toBe(false);
    expect(one(b('{"embedding":[0.1,0.2]}'))).toBe(false);
    expect(one(b('{"embeddings":[0.1,0.2,0.3]}'))).toBe(false);
    const many = compileExpectation({
      kind: 'embedding',
      field: 'embeddings',
      values: [
        [1, 2],
        [3, 4],
      ],
      tol: 0.01,
    });
    expect(many(b('{"embeddings":[[1,2.005],[3,4]]}'))).toBe(true);
    expect(many(b('{"embeddings":[1,2,3,4]}'))).toBe(false);
    expect(many(b('{"embeddings":[[1,2],[3,"4"]]}'))).toBe(false);
  });
});
