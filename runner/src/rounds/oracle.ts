import { readFileSync } from 'node:fs';
import { Pipeline, WordPieceTokenizer, createBackend } from '@servebench/inference';
import type { ModelFiles } from '@servebench/model';
import type { Oracle } from '../workload.js';

/** Max abs difference allowed between a stack's embedding and the runner's in-process oracle. */
export const EMBED_TOLERANCE = 1e-4;

/** The runner's in-process tokenizer and model: the expected answers every stack is checked against. */
export async function loadOracle(files: ModelFiles, threads: number): Promise<Oracle & { close(): Promise<void> }> {
  const tokenizer = WordPieceTokenizer.fromVocabText(readFileSync(files.vocab, 'utf8'), {
    ...files.tokenizer, // the checkpoint's tokenizer settings (max length 256 for all-MiniLM-L6-v2)
  });
  const backend = createBackend({
    backend: 'ort',
    modelPath: files.onnx,
    device: 'cpu',
    intraOpThreads: threads,
    interOpThreads: 1,
  });
  await backend.load();
  const pipeline = new Pipeline(tokenizer, backend, { maxQueue: 1 << 20 });
  return {
    tokenize: (t) => tokenizer.encode(t),
    embed: async (texts) => (await pipeline.predict(texts)).vectors.map((v) => Array.from(v)),
    close: () => backend.close(),
  };
}
