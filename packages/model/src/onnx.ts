// onnx-proto is CommonJS with a single `onnx` property, so Node's ESM loader only exposes a default.
import onnxProto from 'onnx-proto';
import type { onnx as O } from 'onnx-proto';

export const onnx = onnxProto.onnx;
export type INodeProto = O.INodeProto;
export type ITensorProto = O.ITensorProto;
export type IAttributeProto = O.IAttributeProto;
export type IValueInfoProto = O.IValueInfoProto;
export type IModelProto = O.IModelProto;
export type IGraphProto = O.IGraphProto;

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** raw_data must be little-endian; a zero-copy view on LE hosts, a swapped copy otherwise. */
export function float32ToLE(data: Float32Array): Uint8Array {
  if (HOST_LITTLE_ENDIAN) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint8Array(data.byteLength);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i] as number, true);
  return out;
}

/** Copies little-endian float32 bytes into a fresh (aligned) Float32Array. */
export function float32FromLE(bytes: Uint8Array): Float32Array {
  if (bytes.byteLength % 4 !== 0)
    throw new Error(`MODEL_BAD_ONNX: raw_data length ${bytes.byteLength} is not a multiple of 4`);
  const out = new Float32Array(bytes.byteLength / 4);
  if (HOST_LITTLE_ENDIAN) {
    new Uint8Array(out.buffer).set(bytes);
  } else {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  }
  return out;
}

/** protobufjs decodes int64 as Long when the `long` package is installed, else as number. */
export function int64ToNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v !== null && typeof v === 'object' && 'toNumber' in v && typeof v.toNumber === 'function') {
    return (v.toNumber as () => number).call(v);
  }
  throw new Error(`MODEL_BAD_ONNX: cannot read int64 value ${String(v)}`);
}
