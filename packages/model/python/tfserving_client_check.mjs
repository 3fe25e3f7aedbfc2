// Drives servebench's TF Serving gRPC client (the tfserving-grpc backend, as built) against a gRPC
// endpoint and compares its embeddings with onnxruntime. Used by test_tfserving_standin.py.
// Usage: node tfserving_client_check.mjs <host:port> <model.onnx>
import { OrtBackend, TfServingGrpcBackend, packBatch } from '@servebench/inference';

const [target, onnx] = process.argv.slice(2);
const batch = packBatch([
  [101, 7592, 1010, 2088, 999, 102],
  [101, 2023, 102],
  [101, 102],
]);
const client = new TfServingGrpcBackend({ url: target, timeoutMs: 20_000 });
const ort = new OrtBackend({ modelPath: onnx, device: 'cpu', intraOpThreads: 1, interOpThreads: 1 });
await ort.load();
const ready = await client.ready();
const [got, want] = await Promise.all([client.embed(batch), ort.embed(batch)]);
let maxDiff = 0;
for (let i = 0; i < want.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs(got.data[i] - want.data[i]));
process.stdout.write(`${JSON.stringify({ ready, info: client.info(), batch: got.batch, dim: got.dim, maxDiff })}\n`);
await client.close();
await ort.close();
