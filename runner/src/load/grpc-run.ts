// What run.ts and the launcher need to treat a gRPC stack like an HTTP one.
import type { CheckOutcome, ReadyResponse } from '@servebench/contract';
import { ServingClient, fetchGrpcReady, grpcTarget, runGrpcConformance } from '@servebench/contract/grpc';

/** The launcher's readiness probe: grpc.health.v1 says SERVING (the gRPC /readyz). */
export async function grpcServing(url: string, timeoutMs: number): Promise<boolean> {
  const client = new ServingClient(grpcTarget(url));
  try {
    return (await client.health('', timeoutMs)) === 'SERVING';
  } catch {
    return false;
  } finally {
    client.close();
  }
}

/** The Ready RPC's answer (the /readyz body), or {} when it fails: verification then reports why. */
export async function grpcReady(url: string): Promise<Partial<ReadyResponse>> {
  const client = new ServingClient(grpcTarget(url));
  try {
    return await fetchGrpcReady(client);
  } catch {
    return {};
  } finally {
    client.close();
  }
}

/** The gRPC conformance suite (fast subset for the verify phase). Never throws. */
export function verifyGrpc(
  url: string,
  opts: { fast: boolean; embed: (texts: string[]) => Promise<number[][]>; tolerance: number },
): Promise<CheckOutcome[]> {
  return runGrpcConformance(grpcTarget(url), opts);
}
