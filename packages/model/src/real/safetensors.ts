// A small reader for the safetensors format: 8-byte little-endian header length, a JSON header
// { name: { dtype, shape, data_offsets: [begin, end] }, __metadata__? }, then the raw
// little-endian tensor bytes. Float tensors (F32, F16, BF16) are returned as Float32Array.

export interface SafeTensor {
  dtype: string;
  shape: number[];
  /** F32/F16/BF16 as float32 values; undefined for other dtypes (kept only for the shape/dtype check). */
  data: Float32Array | undefined;
}

const BYTES: Record<string, number> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

/** Largest header safetensors itself accepts (100 MB). */
const MAX_HEADER = 100_000_000;

function bad(file: string, msg: string): Error {
  return new Error(`MODEL_BAD_SAFETENSORS: ${file}: ${msg}`);
}

function f16ToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

function decode(dtype: string, bytes: Uint8Array): Float32Array | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dtype === 'F32') {
    const out = new Float32Array(bytes.byteLength / 4);
    for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
    return out;
  }
  if (dtype === 'F16') {
    const out = new Float32Array(bytes.byteLength / 2);
    for (let i = 0; i < out.length; i++) out[i] = f16ToF32(view.getUint16(i * 2, true));
    return out;
  }
  if (dtype === 'BF16') {
    const out = new Float32Array(bytes.byteLength / 2);
    const u = new Uint32Array(out.buffer);
    for (let i = 0; i < out.length; i++) u[i] = view.getUint16(i * 2, true) << 16;
    return out;
  }
  return undefined;
}

/** Parses a whole .safetensors file; `file` names it in every error (MODEL_BAD_SAFETENSORS). */
export function readSafetensors(bytes: Uint8Array, file: string): Map<string, SafeTensor> {
  if (bytes.byteLength < 8) throw bad(file, `${bytes.byteLength} bytes is too short for the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  if (headerLen > MAX_HEADER || 8 + headerLen > bytes.byteLength) {
    throw bad(file, `header length ${headerLen} runs past the end of the file (${bytes.byteLength} bytes): truncated?`);
  }
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + headerLen)).toString('utf8')) as Record<string, unknown>;
  } catch (e) {
    throw bad(file, `header is not valid JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header))
    throw bad(file, 'header is not an object');
  const body = bytes.subarray(8 + headerLen);
  const out = new Map<string, SafeTensor>();
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const t = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const size = typeof t.dtype === 'string' ? BYTES[t.dtype] : undefined;
    if (size === undefined) throw bad(file, `tensor ${name} has unsupported dtype ${JSON.stringify(t.dtype)}`);
    const shape = t.shape;
    const offsets = t.data_offsets;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw bad(file, `tensor ${name} has an invalid shape ${JSON.stringify(shape)}`);
    }
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) ||
      offsets[0] > offsets[1]
    ) {
      throw bad(file, `tensor ${name} has invalid data_offsets ${JSON.stringify(offsets)}`);
    }
    const [begin, end] = offsets as [number, number];
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    if (end - begin !== count * size) {
      throw bad(
        file,
        `tensor ${name} (${t.dtype as string} ${JSON.stringify(shape)}) should have ${count * size} bytes, data_offsets give ${end - begin}`,
      );
    }
    if (end > body.byteLength) {
      throw bad(file, `tensor ${name} ends at byte ${end} of the data but the file has ${body.byteLength}: truncated?`);
    }
    out.set(name, {
      dtype: t.dtype as string,
      shape: shape as number[],
      data: decode(t.dtype as string, body.subarray(begin, end)),
    });
  }
  return out;
}

/** Writes a safetensors file (used by tests to make small checkpoints). */
export function writeSafetensors(tensors: Record<string, { shape: number[]; data: Float32Array }>): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  while ((8 + Buffer.byteLength(json)) % 8 !== 0) json += ' ';
  const hb = Buffer.from(json, 'utf8');
  const out = new Uint8Array(8 + hb.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(hb.byteLength), true);
  out.set(hb, 8);
  let at = 8 + hb.byteLength;
  for (const t of Object.values(tensors)) {
    const dv = new DataView(out.buffer, at, t.data.byteLength);
    for (let i = 0; i < t.data.length; i++) dv.setFloat32(i * 4, t.data[i] as number, true);
    at += t.data.byteLength;
  }
  return out;
}
