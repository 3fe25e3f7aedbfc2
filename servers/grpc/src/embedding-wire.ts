// PredictReply written straight from the Float32Array: the field's packed bytes are the array's
// own little-endian float32 bytes, so there is no Array.from, no protobufjs fromObject and no
// per-element writer call. Byte-identical to protobufjs for the same values (tested); anything
// else (a plain array, a big-endian host) goes to the definition's own serializer.
import { endianness } from 'node:os';

const LE = endianness() === 'LE';

/** PredictReply { repeated float embedding = 1; } for a Float32Array: tag 0x0a, varint length, raw floats. */
export function predictReplyBytes(row: Float32Array): Buffer {
  const n = row.byteLength;
  if (n === 0) return Buffer.alloc(0); // proto3 omits an empty packed field, as protobufjs does
  let lenBytes = 1;
  for (let v = n; v >= 0x80; v >>>= 7) lenBytes++;
  const out = Buffer.allocUnsafe(1 + lenBytes + n);
  out[0] = 0x0a;
  let i = 1;
  let v = n;
  while (v >= 0x80) {
    out[i++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  out[i++] = v;
  out.set(new Uint8Array(row.buffer, row.byteOffset, n), i);
  return out;
}

/** Wraps the Predict method's serializer with the Float32Array fast path. */
export function fastPredictSerialize(fallback: (value: unknown) => Buffer): (value: unknown) => Buffer {
  return (value) => {
    const e = (value as { embedding?: unknown } | null)?.embedding;
    if (LE && e instanceof Float32Array) return predictReplyBytes(e);
    return fallback(e instanceof Float32Array ? { embedding: Array.from(e) } : value);
  };
}
