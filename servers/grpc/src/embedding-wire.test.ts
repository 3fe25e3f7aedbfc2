import { SERVICE_NAME, loadServingDefinition } from '@servebench/contract/grpc';
import type * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { fastPredictSerialize, predictReplyBytes } from './embedding-wire.js';

// The reference is the definition's own protobufjs serializer on Array.from(row), what Predict sent before.
const predict = (loadServingDefinition()[SERVICE_NAME] as grpc.ServiceDefinition).Predict!;
const reference = (row: Float32Array) => predict.responseSerialize({ embedding: Array.from(row) });

describe('predictReplyBytes', () => {
  it('is byte-identical to protobufjs for rows of every length class (1-byte and 2-byte varint lengths, empty)', () => {
    for (const n of [0, 1, 31, 32, 256, 384, 1024]) {
      const row = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 1.7 + n) * 3 - 0.25);
      expect(Buffer.compare(predictReplyBytes(row), reference(row))).toBe(0);
    }
  });

  it('keeps -0, subnormals, extremes and Infinity bit for bit, and reads a subarray view only', () => {
    const all = new Float32Array([9, 0, -0, 1e-45, 3.4028234663852886e38, -Infinity, Infinity, 0.1, 9]);
    const row = all.subarray(1, 8);
    expect(Buffer.compare(predictReplyBytes(row), reference(row))).toBe(0);
    expect(predictReplyBytes(row).length).toBe(2 + 7 * 4);
  });

  it('decodes back to the same values through the definition', () => {
    const row = Float32Array.from([0.5, -1.25, 3]);
    expect(predict.responseDeserialize(predictReplyBytes(row))).toEqual({ embedding: [0.5, -1.25, 3] });
  });

  it('the wrapper takes plain arrays through the original serializer', () => {
    const s = fastPredictSerialize(predict.responseSerialize);
    expect(Buffer.compare(s({ embedding: [1, 2] }), reference(Float32Array.from([1, 2])))).toBe(0);
    expect(Buffer.compare(s({ embedding: Float32Array.from([1, 2]) }), reference(Float32Array.from([1, 2])))).toBe(0);
  });
});
