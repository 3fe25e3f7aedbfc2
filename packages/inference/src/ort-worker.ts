// Runs an onnxruntime session on its own thread. onnxruntime-node's session.run() is synchronous on
// the calling thread, so in the server's main thread it would stall the event loop for the whole
// inference; here the main thread keeps parsing, tokenizing and answering while the model runs.
import ort from 'onnxruntime-node';
import { parentPort, workerData } from 'node:worker_threads';
import type { OrtWorkerInit, OrtWorkerRequest, OrtWorkerReply } from './ort.js';

const init = workerData as OrtWorkerInit;
const port = parentPort!;
try {
  const session = await ort.InferenceSession.create(init.modelPath, init.sessionOptions);
  port.postMessage({ id: 0, ok: true } satisfies OrtWorkerReply);
  port.on('message', async (m: OrtWorkerRequest) => {
    try {
      const dims = [m.batch, m.seqLen];
      const out = await session.run({
        input_ids: new ort.Tensor('int64', m.inputIds, dims),
        attention_mask: new ort.Tensor('int64', m.attentionMask, dims),
        token_type_ids: new ort.Tensor('int64', m.tokenTypeIds, dims),
      });
      const t = out.embedding;
      if (!t || t.type !== 'float32' || t.dims.length !== 2) throw new Error('no [batch, hidden] float32 "embedding" output');
      const data = t.data as Float32Array;
      port.postMessage({ id: m.id, ok: true, data, dim: Number(t.dims[1]) } satisfies OrtWorkerReply, [data.buffer as ArrayBuffer]);
    } catch (e) {
      port.postMessage({ id: m.id, ok: false, error: (e as Error).message } satisfies OrtWorkerReply);
    }
  });
} catch (e) {
  port.postMessage({ id: 0, ok: false, error: (e as Error).message } satisfies OrtWorkerReply);
}
