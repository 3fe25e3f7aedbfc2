import { createServer, type AddressInfo } from 'node:net';

/**
 * n distinct ports on 127.0.0.1 that nothing listens on right now (all held open at once, then
 * released for whoever binds them next). The one free-port helper of the repo: the runner's
 * launchers and the tests' stand-in servers use it.
 */
export async function freePorts(n: number): Promise<number[]> {
  const servers = Array.from({ length: n }, () => createServer());
  await Promise.all(
    servers.map((s) => new Promise<void>((resolve, reject) => s.once('error', reject).listen(0, '127.0.0.1', resolve))),
  );
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}
