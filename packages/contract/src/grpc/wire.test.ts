import { readFileSync } from 'node:fs';
import { loadSync } from '@grpc/proto-loader';
import { describe, expect, it } from 'vitest';
import { ServeError } from '../errors.js';
import { LOADER_OPTIONS, PROTO_PATH, SERVICE_NAME, loadServingDefinition } from './proto.js';
import { grpcTarget } from './target.js';
import { decodeTextField, encodeTextField } from './wire.js';

const serving = loadServingDefinition()[SERVICE_NAME] as unknown as Record<
  string,
  { requestSerialize(v: unknown): Buffer }
>;
const codeOf = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    return e instanceof ServeError ? e.code : `not a ServeError: ${String(e)}`;
  }
  return 'no error';
};

describe('decodeTextField', () => {
  it('reads what protobufjs writes for TextRequest and TextsRequest', () => {
    const texts = ['', 'hello', 'naïve café [MASK] 東京 😀', 'x'.repeat(300)];
    expect(decodeTextField(serving.TokenizeBatch!.requestSerialize({ texts }))).toEqual(texts);
    expect(decodeTextField(serving.Predict!.requestSerialize({ text: 'one' }))).toEqual(['one']);
    // An empty text may be written or omitted (proto3 default); either way the server reads "".
    expect(decodeTextField(serving.Predict!.requestSerialize({ text: '' })).at(-1) ?? '').toBe('');
    expect(decodeTextField(Buffer.alloc(0))).toEqual([]);
    expect(decodeTextField(encodeTextField(texts))).toEqual(texts);
  });

  it('skips unknown fields of every wire type', () => {
    const unknown = Buffer.from([0x10, 0x96, 0x01, 0x19, 1, 2, 3, 4, 5, 6, 7, 8, 0x25, 1, 2, 3, 4, 0x2a, 0x01, 0x7a]);
    expect(decodeTextField(Buffer.concat([unknown, encodeTextField(['a']), unknown]))).toEqual(['a']);
  });

  it('turns malformed bytes and invalid UTF-8 into contract codes', () => {
    expect(codeOf(() => decodeTextField(Buffer.from([0x0a, 0x05, 0x61])))).toBe('INVALID_REQUEST'); // truncated
    expect(codeOf(() => decodeTextField(Buffer.from([0x08, 0x01])))).toBe('INVALID_REQUEST'); // wrong wire type
    // Regression (gRPC fuzz suite): field 1 as fixed32 / fixed64 was skipped, so Tokenize answered OK for "".
    expect(codeOf(() => decodeTextField(Buffer.from([0x0d, 0x61, 0x62, 0x63, 0x64])))).toBe('INVALID_REQUEST');
    expect(codeOf(() => decodeTextField(Buffer.from([0x09, 1, 2, 3, 4, 5, 6, 7, 8])))).toBe('INVALID_REQUEST');
    expect(codeOf(() => decodeTextField(Buffer.from([0x1d, 0x61])))).toBe('INVALID_REQUEST'); // fixed32 cut short
    expect(codeOf(() => decodeTextField(Buffer.from([0x0b])))).toBe('INVALID_REQUEST'); // group wire type
    expect(codeOf(() => decodeTextField(Buffer.from([0x0a, 0xff])))).toBe('INVALID_REQUEST'); // unterminated varint
    expect(codeOf(() => decodeTextField(encodeTextField([new Uint8Array([0xc3, 0x28])])))).toBe('INVALID_UTF8');
    expect(codeOf(() => decodeTextField(encodeTextField([new Uint8Array([0xed, 0xa0, 0x80])])))).toBe('INVALID_UTF8'); // lone surrogate
  });
});

describe('servebench.proto', () => {
  it('declares the six calls of servebench.v1.Serving with packed numeric fields', () => {
    const def = loadSync(PROTO_PATH, LOADER_OPTIONS);
    expect(Object.keys(def[SERVICE_NAME]!).sort()).toEqual([
      'HelloWorld',
      'Predict',
      'PredictBatch',
      'Ready',
      'Tokenize',
      'TokenizeBatch',
    ]);
    // proto3 packs repeated scalars: 3 floats are one tag, one length and 12 bytes.
    const reply = loadServingDefinition()[SERVICE_NAME] as unknown as Record<
      string,
      { responseSerialize(v: unknown): Buffer }
    >;
    expect(reply.Predict!.responseSerialize({ embedding: [1, 2, 3] })).toHaveLength(14);
  });

  it('has no map fields (@grpc/reflection describes them in a way grpcurl rejects)', () => {
    expect(readFileSync(PROTO_PATH, 'utf8')).not.toMatch(/^\s*map\s*</m);
  });
});

describe('grpcTarget', () => {
  it('accepts what servers print and bare targets', () => {
    expect(grpcTarget('http://127.0.0.1:5051')).toBe('127.0.0.1:5051');
    expect(grpcTarget('grpc://127.0.0.1:5051')).toBe('127.0.0.1:5051');
    expect(grpcTarget('http://[::1]:5051')).toBe('[::1]:5051');
    expect(grpcTarget('127.0.0.1:5051')).toBe('127.0.0.1:5051');
  });
});
