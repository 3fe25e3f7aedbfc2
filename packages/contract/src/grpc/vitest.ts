import { afterAll, beforeAll, describe, it } from 'vitest';
import { GRPC_CHECKS, fetchGrpcReady, type GrpcConformanceContext } from './checks.js';
import { ServingClient } from './client.js';

/**
 * Registers the whole gRPC conformance suite as vitest tests against a server started by the
 * caller (on port 0, in its beforeAll). `target()` is read after the caller's beforeAll has run.
 */
export function describeGrpcConformance(
  name: string,
  target: () => { target: string; embed?: GrpcConformanceContext['embed']; tolerance?: number },
): void {
  describe(`gRPC contract conformance: ${name}`, () => {
    let ctx: GrpcConformanceContext;
    beforeAll(async () => {
      const t = target();
      const client = new ServingClient(t.target);
      ctx = { client, embed: t.embed, tolerance: t.tolerance ?? 1e-4, ready: await fetchGrpcReady(client) };
    });
    afterAll(() => ctx?.client.close());
    for (const check of GRPC_CHECKS) it(check.id, () => check.run(ctx), 60_000);
  });
}
