// Readiness probes over the network: a stack's /readyz or gRPC health, and a model server's HTTP endpoints.
import { get } from 'node:http';
import { grpcServing } from '../load/grpc-run.js';

/** One readiness probe of a stack: gRPC health SERVING, or 200 from readyPath (default /readyz). */
export async function stackReady(protocol: string, baseUrl: string, readyPath = '/readyz'): Promise<boolean> {
  if (protocol === 'grpc') return grpcServing(baseUrl, 2000);
  return fetch(new URL(readyPath, baseUrl), { signal: AbortSignal.timeout(2000) }).then(
    (r) => r.ok,
    () => false,
  );
}

/**
 * GET on a fresh connection that closes after the answer: keep-alive probe sockets would hold a
 * model server's shutdown (Triton waits for open HTTP connections up to its exit timeout).
 */
export function httpGet(url: string): Promise<{ status: number; body: string } | undefined> {
  return new Promise((resolve) => {
    const req = get(url, { agent: false, timeout: 2000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}

export const httpOk = async (url: string): Promise<boolean> => (await httpGet(url))?.status === 200;
