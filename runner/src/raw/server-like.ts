// The model as the servers load it (one model thread, inter-op 1, CPU), for the processes that call it with no
// server around: the runtime ceilings and the speedometer.
import { createBackend, type Backend } from '@servebench/inference';

export const serverLikeBackend = (runtime: 'ort' | 'tfjs-wasm', onnx: string, threads: number): Backend =>
  createBackend({
    backend: runtime,
    modelPath: onnx,
    device: 'cpu',
    intraOpThreads: threads,
    interOpThreads: 1,
    modelThread: 'worker',
  });
