/**
 * A grpc-js target (`host:port`) from what a server prints (`grpc://127.0.0.1:PORT`,
 * `http://127.0.0.1:PORT`) or a bare `host:port`.
 */
export function grpcTarget(urlOrTarget: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(urlOrTarget)) return urlOrTarget;
  const u = new URL(urlOrTarget.replace(/^grpcs?:/i, 'http:'));
  return `${u.hostname}:${u.port || '80'}`;
}
