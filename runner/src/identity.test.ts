import { ROUTES, maxAbsDiff, postJson, tokenizeFixtures } from '@servebench/contract';
import { describe, expect, it } from 'vitest';
import { discoverServers, repoRoot, stacksOf } from './discover.js';
import { launchStacksForFile } from './testing/launch-stacks.js';

// Cross-stack identity: every HTTP server on the ort backend, started as the runner starts it,
// answers the same requests with identical token ids and embeddings equal to 1e-6.
const stacks = stacksOf(discoverServers(repoRoot())).filter((s) => s.server.protocol === 'http' && s.backend === 'ort');
const texts = tokenizeFixtures().cases.map((c) => c.text);
const servers = launchStacksForFile(stacks, 'servebench-identity-');

async function answers(path: string, body: unknown): Promise<Map<string, unknown>> {
  const out = new Map<string, unknown>();
  for (const [id, s] of servers) {
    const r = await postJson(s.baseUrl, path, body);
    expect(r.status, `${id} ${path}`).toBe(200);
    out.set(id, r.json());
  }
  return out;
}

describe('cross-stack identity', () => {
  it('covers express, fastify and hono at least', () => {
    expect(stacks.map((s) => s.id)).toEqual(expect.arrayContaining(['express+ort', 'fastify+ort', 'hono+ort']));
  });

  it('gives identical /tokenize output for every fixture text', async () => {
    for (let i = 0; i < texts.length; i += 32) {
      const got = await answers(ROUTES.tokenize, { texts: texts.slice(i, i + 32) });
      const [first, ...rest] = [...got.entries()];
      for (const [id, body] of rest) expect(body, `${id} vs ${first![0]}`).toEqual(first![1]);
    }
  });

  it('gives /predict embeddings equal to 1e-6', async () => {
    for (let i = 0; i < texts.length; i += 16) {
      const got = await answers(ROUTES.predict, { texts: texts.slice(i, i + 16) });
      const [first, ...rest] = [...got.entries()].map(
        ([id, b]) => [id, (b as { embeddings: number[][] }).embeddings] as const,
      );
      for (const [id, vectors] of rest) {
        vectors.forEach((v, j) =>
          expect(maxAbsDiff(v, first![1][j]!), `${id} vs ${first![0]}, text ${i + j}`).toBeLessThanOrEqual(1e-6),
        );
      }
    }
    // Every fixture through every discovered stack, one after another: grows with the stacks (not a speed check).
  }, 120_000);
});
