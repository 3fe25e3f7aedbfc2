import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GRPC_ABUSE_PARTS, runGrpcAbusePart, type GrpcAbuseContext } from './abuse.js';
import { GRPC_CHECKS, fetchGrpcReady, type GrpcConformanceContext } from './checks.js';
import { ServingClient } from './client.js';

/**
 * Registers the whole gRPC conformance suite as vitest tests against a server started by the
 * caller (on port 0, in its beforeAll), then the bad-input matrix and fuzzing (abuse.ts).
 * `target()` is read after the caller's beforeAll has run.
 */
export function describeGrpcConformance(
  name: string,
  target: () => {
    target: string;
    embed?: GrpcConformanceContext['embed'];
    tolerance?: number;
    tokenize?: GrpcAbuseContext['tokenize'];
  },
): void {
  describe(`gRPC contract conformance: ${name}`, () => {
    let ctx: GrpcConformanceContext & { tokenize?: GrpcAbuseContext['tokenize']; target: string };
    beforeAll(async () => {
      const t = target();
      const client = new ServingClient(t.target);
      ctx = {
        client,
        target: t.target,
        embed: t.embed,
        tokenize: t.tokenize,
        tolerance: t.tolerance ?? 1e-4,
        ready: await fetchGrpcReady(client),
      };
    });
    afterAll(() => ctx?.client.close());
    for (const check of GRPC_CHECKS) it(check.id, () => check.run(ctx), 60_000);
    for (const part of GRPC_ABUSE_PARTS) {
      it(
        part.id,
        async () => {
          const t = await runGrpcAbusePart(part, ctx);
          expect(t.failures, t.failures.join('\n')).toEqual([]);
          expect({ crashes: t.crashes, serverErrors: t.serverErrors, leaks: t.leaks }).toEqual({
            crashes: 0,
            serverErrors: 0,
            leaks: 0,
          });
        },
        60_000,
      );
    }
  });
}

export { referenceTokenizer } from './abuse.js';
