import { ServeError } from '../errors.js';

// Hand-rolled protobuf wire reading for the two request messages (TextRequest, TextsRequest: field 1
// string / repeated string) and grpc.health.v1. protobufjs decodes invalid UTF-8 silently and its
// throws become INTERNAL in grpc-js; here both are contract errors, like bad JSON over HTTP.

const utf8 = new TextDecoder('utf-8', { fatal: true });
const malformed = () => new ServeError('INVALID_REQUEST', 'the request is not a valid protobuf message');

/**
 * Calls `on` per field: varints as numbers, length-delimited and fixed32/64 fields as views (the
 * wire type tells them apart). Groups and wire types 6/7 are malformed.
 */
export function forEachField(
  buf: Uint8Array,
  on: (field: number, value: number | Uint8Array, wireType: 0 | 1 | 2 | 5) => void,
): void {
  let p = 0;
  const varint = (): number => {
    let x = 0;
    for (let shift = 0; shift < 64; shift += 7) {
      if (p >= buf.length) throw malformed();
      const b = buf[p++]!;
      x += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return x;
    }
    throw malformed();
  };
  while (p < buf.length) {
    const key = varint();
    const field = Math.floor(key / 8);
    if (field === 0) throw malformed();
    switch (key & 7) {
      case 0:
        on(field, varint(), 0);
        break;
      case 1:
        if (p + 8 > buf.length) throw malformed();
        on(field, buf.subarray(p, p + 8), 1);
        p += 8;
        break;
      case 2: {
        const len = varint();
        if (p + len > buf.length) throw malformed();
        on(field, buf.subarray(p, p + len), 2);
        p += len;
        break;
      }
      case 5:
        if (p + 4 > buf.length) throw malformed();
        on(field, buf.subarray(p, p + 4), 5);
        p += 4;
        break;
      default:
        throw malformed();
    }
    if (p > buf.length) throw malformed();
  }
}

/** Every occurrence of string field 1, in order (a TextRequest uses the last one, as proto3 says). */
export function decodeTextField(buf: Uint8Array): string[] {
  const out: string[] = [];
  forEachField(buf, (field, value, wireType) => {
    if (field !== 1) return;
    // A string sent as a varint or a fixed32/64 is a type error, not an unknown field.
    if (wireType !== 2 || typeof value === 'number') throw malformed();
    try {
      out.push(utf8.decode(value));
    } catch {
      throw new ServeError('INVALID_UTF8', `text ${out.length} is not valid UTF-8`);
    }
  });
  return out;
}

function varintBytes(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return out;
}

/** Encodes field 1 once per item; raw bytes pass as they are (for invalid-UTF-8 test cases). */
export function encodeTextField(items: ReadonlyArray<string | Uint8Array>): Buffer {
  const parts: Buffer[] = [];
  for (const item of items) {
    const bytes = typeof item === 'string' ? Buffer.from(item, 'utf8') : Buffer.from(item);
    parts.push(Buffer.from([0x0a, ...varintBytes(bytes.length)]), bytes);
  }
  return Buffer.concat(parts);
}
