import { beforeAll, describe, it } from 'vitest';
import { CHECKS, fetchReady, type ConformanceContext } from './checks.js';

/**
 * Registers the whole conformance suite as vitest tests against a server started by the caller
 * (on port 0, in its beforeAll). `target()` is read after the caller's beforeAll has run.
 */
export function describeConformance(
  name: string,
  target: () => { baseUrl: string; embed?: ConformanceContext['embed']; tolerance?: number },
): void {
  describe(`contract conformance: ${name}`, () => {
    let ctx: ConformanceContext;
    beforeAll(async () => {
      const t = target();
      ctx = { baseUrl: t.baseUrl, embed: t.embed, tolerance: t.tolerance ?? 1e-4, ready: await fetchReady(t.baseUrl) };
    });
    for (const check of CHECKS) it(check.id, () => check.run(ctx), 60_000);
  });
}
