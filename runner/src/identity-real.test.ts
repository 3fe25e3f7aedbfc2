// Cross-stack identity on the real model: every HTTP stack whose model runs in process (ort in the
// Node servers and the Python peers, tfjs-wasm), started as the runner starts it with
// MODEL=all-minilm-l6-v2, tokenizes like Hugging Face `tokenizers` on the checkpoint's own
// tokenizer.json (max length 256) and embeds like sentence-transformers (torch) to 1e-5 max abs:
// the golden fixture written by packages/model/python/golden-embeddings.sh.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROUTES, postJson } from '@servebench/contract';
import { afterAll, describe, expect, it } from 'vitest';
import { discoverServers, repoRoot, stacksOf } from './discover.js';
import { launchProcess, type Launched } from './launch/process.js';

const golden = JSON.parse(
  readFileSync(join(repoRoot(), 'packages/model/fixtures/all-minilm-l6-v2.golden.json'), 'utf8'),
) as { texts: string[]; input_ids: number[][]; embeddings: number[][] };

const IN_PROCESS = ['ort', 'tfjs-wasm'];
const stacks = stacksOf(discoverServers(repoRoot())).filter(
  (s) => s.server.protocol === 'http' && IN_PROCESS.includes(s.backend),
);
const logs = mkdtempSync(join(tmpdir(), 'servebench-identity-real-'));
const TOLERANCE = 1e-5;
/** tfjs-wasm computes about 10x slower than ORT: it gets every 3rd text (still the long, truncated ones). */
const textsFor = (backend: string): number[] =>
  golden.texts.map((_, i) => i).filter((i) => backend !== 'tfjs-wasm' || i % 3 === 0);

let running: Launched | undefined;
afterAll(async () => {
  await running?.stop();
});

describe('cross-stack identity on all-minilm-l6-v2', { timeout: 600_000 }, () => {
  it('covers the Node ORT stacks, tfjs-wasm and the Python peers', () => {
    expect(stacks.map((s) => s.id)).toEqual(
      expect.arrayContaining(['fastify+ort', 'hono+ort', 'express+ort', 'tfjs+tfjs-wasm', 'fastapi+ort', 'flask+ort']),
    );
  });

  it.each(stacks.map((s) => [s.id, s] as const))(
    '%s: golden ids and sentence-transformers embeddings',
    async (id, s) => {
      running = await launchProcess(s, {
        env: { MODEL: 'all-minilm-l6-v2' },
        readyTimeoutMs: 180_000,
        logFile: join(logs, `${id}.log`),
      });
      try {
        const idx = textsFor(s.backend);
        let worst = 0;
        for (let i = 0; i < idx.length; i += 8) {
          const part = idx.slice(i, i + 8);
          const texts = part.map((k) => golden.texts[k]!);
          const tok = await postJson(running.baseUrl, ROUTES.tokenize, { texts });
          expect(tok.status, `${id} tokenize`).toBe(200);
          const ids = (tok.json() as { results: { input_ids: number[] }[] }).results.map((r) => r.input_ids);
          expect(ids).toEqual(part.map((k) => golden.input_ids[k]));
          const r = await postJson(running.baseUrl, ROUTES.predict, { texts });
          expect(r.status, `${id} predict`).toBe(200);
          (r.json() as { embeddings: number[][] }).embeddings.forEach((v, j) => {
            const want = golden.embeddings[part[j]!]!;
            for (let k = 0; k < want.length; k++) worst = Math.max(worst, Math.abs(v[k]! - want[k]!));
          });
        }
        console.log(`${id} all-minilm-l6-v2 vs sentence-transformers: max abs diff ${worst.toExponential(2)}`);
        expect(worst).toBeLessThanOrEqual(TOLERANCE);
      } finally {
        await running.stop();
        running = undefined;
      }
    },
  );
});
