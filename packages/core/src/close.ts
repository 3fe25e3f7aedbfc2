import type { Server } from 'node:http';
import { Server as NetServer } from 'node:net';

/**
 * Graceful stop of a node:http server: stop accepting, let in-flight requests finish, and close
 * each keep-alive connection after its last response. Node's own http close() destroys every
 * connection that looks idle at once, which also resets requests already sent but not yet read by a
 * busy event loop; this waits a second before reaping connections that stay idle.
 */
export function closeHttp(server: Server): Promise<void> {
  server.keepAliveTimeout = 1;
  // Runs before the app's handler: whatever arrives now is answered, then its connection closes.
  server.prependListener('request', (_req, res) => res.setHeader('connection', 'close'));
  const reaper = setInterval(() => server.closeIdleConnections(), 1000);
  return new Promise<void>((resolve, reject) =>
    NetServer.prototype.close.call(server, (e?: Error) => {
      clearInterval(reaper);
      if (e) reject(e);
      else resolve();
    }),
  );
}
