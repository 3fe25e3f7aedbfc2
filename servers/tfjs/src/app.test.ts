import { describeConformance } from '@servebench/contract/vitest';
import { inProcessEmbedder, startForTest, type TestServer } from '@servebench/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen } from './app.js';

let server: TestServer;
let embed: (texts: string[]) => Promise<number[][]>;
beforeAll(async () => {
  [server, embed] = await Promise.all([
    startForTest('tfjs', listen, { BACKEND: 'tfjs-wasm' }),
    inProcessEmbedder('tiny'),
  ]);
}, 120_000);
afterAll(() => server?.close());

// The oracle is onnxruntime: TensorFlow.js must give the same embeddings to 1e-4.
describeConformance('tfjs', () => ({ baseUrl: server.baseUrl, embed, tolerance: 1e-4 }));

describe('tfjs /readyz', () => {
  it('names the runtime that ran, its threads, and that it runs on a worker thread', async () => {
    const body = (await (await fetch(`${server.baseUrl}/readyz`)).json()) as {
      backend: string;
      backend_info: Record<string, string>;
    };
    expect(body.backend).toBe('tfjs-wasm');
    expect(body.backend_info.runtime).toMatch(/^tfjs-wasm \d+\.\d+\.\d+$/);
    expect(Number(body.backend_info.threads)).toBeGreaterThanOrEqual(1);
    expect(body.backend_info.session_thread).toBe('worker');
  });
});
