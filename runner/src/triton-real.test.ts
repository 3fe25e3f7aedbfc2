// Triton serves the same converted all-MiniLM-L6-v2: the runner writes its model repository from
// the converted model.onnx, real tritonserver runs it (Python backend, onnxruntime), and
// fastify+triton-http's embeddings equal sentence-transformers' golden ones to 1e-5. The int8
// export goes through the same repository path and stays within cosine 0.99 of them.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROUTES, postJson } from '@servebench/contract';
import { ensureModel } from '@servebench/model';
import { describe, expect, it } from 'vitest';
import { discoverServers, repoRoot, stacksOf } from './discover.js';
import { launchModelServer, tritonNotInstalled } from './launch/modelserver.js';
import { launchProcess } from './launch/process.js';

const root = repoRoot();
const notInstalled = tritonNotInstalled(root);
if (notInstalled) console.warn(`triton-real tests skipped: ${notInstalled}`);
const stack = stacksOf(discoverServers(root)).find((s) => s.id === 'fastify+triton-http')!;
const logs = mkdtempSync(join(tmpdir(), 'servebench-triton-real-'));
const golden = JSON.parse(readFileSync(join(root, 'packages/model/fixtures/all-minilm-l6-v2.golden.json'), 'utf8')) as {
  texts: string[];
  embeddings: number[][];
};
// Every 4th golden text (short and long, truncated ones included): Triton's Python backend is slow to start.
const idx = golden.texts.map((_, i) => i).filter((i) => i % 4 === 0);

async function embedThroughTriton(model: string): Promise<number[][]> {
  const files = await ensureModel(model);
  const triton = await launchModelServer({
    backend: stack.backend,
    files,
    root,
    logFile: join(logs, `${model}-triton.log`),
    readyTimeoutMs: 180_000,
    maxBatchSize: 64,
    maxQueueDelayUs: 0,
    intraOpThreads: 1,
  });
  try {
    const server = await launchProcess(stack, {
      env: { MODEL: model, ...triton.env },
      readyTimeoutMs: 120_000,
      logFile: join(logs, `${model}-server.log`),
    });
    try {
      const out: number[][] = [];
      for (let i = 0; i < idx.length; i += 8) {
        const r = await postJson(server.baseUrl, ROUTES.predict, {
          texts: idx.slice(i, i + 8).map((k) => golden.texts[k]),
        });
        expect(r.status, `${model} predict`).toBe(200);
        out.push(...(r.json() as { embeddings: number[][] }).embeddings);
      }
      return out;
    } finally {
      await server.stop();
    }
  } finally {
    await triton.stop();
  }
}

describe.skipIf(notInstalled !== undefined)('real Triton on all-minilm-l6-v2', { timeout: 600_000 }, () => {
  it('fp32 matches sentence-transformers to 1e-5; int8 within cosine 0.99', async () => {
    const fp32 = await embedThroughTriton('all-minilm-l6-v2');
    let worst = 0;
    fp32.forEach((v, j) =>
      v.forEach((x, k) => (worst = Math.max(worst, Math.abs(x - golden.embeddings[idx[j]!]![k]!)))),
    );
    console.log(
      `fastify+triton-http all-minilm-l6-v2 vs sentence-transformers: max abs diff ${worst.toExponential(2)}`,
    );
    expect(worst).toBeLessThanOrEqual(1e-5);

    const int8 = await embedThroughTriton('all-minilm-l6-v2-int8');
    const cos = (a: number[], b: number[]) => a.reduce((s, x, k) => s + x * b[k]!, 0); // both unit length
    const minCos = Math.min(...int8.map((v, j) => cos(v, golden.embeddings[idx[j]!]!)));
    console.log(`fastify+triton-http all-minilm-l6-v2-int8 vs sentence-transformers: min cosine ${minCos.toFixed(5)}`);
    expect(minCos).toBeGreaterThanOrEqual(0.99);
  });
});
