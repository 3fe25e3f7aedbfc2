// A dedicated thread for one in-process model session (onnxruntime or TensorFlow.js); see model-thread.ts.
import { workerData } from 'node:worker_threads';
import { serveSession, type ModelWorkerData } from './model-thread.js';

await serveSession(workerData as ModelWorkerData);
