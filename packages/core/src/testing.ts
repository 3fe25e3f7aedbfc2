import { Pipeline, WordPieceTokenizer, createBackend } from '@servebench/inference';
import { ensureModel } from '@servebench/model';
import { readFileSync } from 'node:fs';
import { parseServerConfig, type ServerConfig } from './config.js';
import type { Listening, StartFn } from './main.js';
import { Service } from './service.js';

/** Test settings: tiny model on an OS-chosen port, so tests never collide or sleep. */
export const TEST_ENV = { MODEL: 'tiny', PORT: '0', HOST: '127.0.0.1' } as const;

export interface TestServer {
  baseUrl: string;
  service: Service;
  config: Readonly<ServerConfig>;
  close(): Promise<void>;
}

/** Starts a server in this process on port 0, the way main.ts does, for tests. */
export async function startForTest(
  name: string,
  start: StartFn,
  env: Record<string, string> = {},
): Promise<TestServer> {
  const config = parseServerConfig({ ...TEST_ENV, ...env });
  const service = new Service(config, name);
  await service.load();
  const listening: Listening = await start(service, config);
  return {
    baseUrl: `http://127.0.0.1:${listening.port}`,
    service,
    config,
    close: async () => {
      await listening.close();
      await service.close();
    },
  };
}

/** An in-process oracle (no server) for the conformance suite's embedding check. */
export async function inProcessEmbedder(
  model: 'tiny' | 'mini' = 'tiny',
): Promise<(texts: string[]) => Promise<number[][]>> {
  const files = await ensureModel(model);
  const tokenizer = WordPieceTokenizer.fromVocabText(readFileSync(files.vocab, 'utf8'), {
    maxLength: files.config.maxPositions,
  });
  const backend = createBackend({
    backend: 'ort',
    modelPath: files.onnx,
    device: 'cpu',
    intraOpThreads: 1,
    interOpThreads: 1,
  });
  await backend.load();
  const pipeline = new Pipeline(tokenizer, backend, { maxQueue: 1000 });
  return async (texts) => (await pipeline.predict(texts)).vectors.map((v) => Array.from(v));
}
