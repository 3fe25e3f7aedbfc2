import type { IncomingMessage } from 'node:http';
import { ServeError } from '@servebench/contract';

/**
 * Reads a request body up to `limit` bytes. Past the limit (declared or counted) it rejects with
 * BODY_TOO_LARGE at once, so an endless chunked body gets its 413 too, and discards the rest: the
 * answer then closes the connection after a bounded linger (hardenHttp) instead of resetting it.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Uint8Array> {
  const declared = Number(req.headers['content-length']);
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    const tooLarge = () => reject(new ServeError('BODY_TOO_LARGE', `body exceeds ${limit} bytes`));
    if (Number.isFinite(declared) && declared > limit) {
      req.resume();
      return tooLarge();
    }
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void parts.push(chunk);
      req.off('data', onData);
      req.resume();
      parts.length = 0;
      tooLarge();
    };
    req.on('data', onData);
    req.on('end', () => resolve(parts.length === 1 ? parts[0]! : Buffer.concat(parts)));
    req.on('error', () => reject(new ServeError('INVALID_REQUEST', 'the request body could not be read')));
  });
}

/**
 * Reads and discards what is left of a request body (for a framework that rejected it before
 * reading it all). Answering first and closing with unread data makes the kernel reset the
 * connection, and the client may never see its 413.
 */
export function drainBody(req: IncomingMessage): Promise<void> {
  if (req.readableEnded || req.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    req.once('end', resolve);
    req.once('close', resolve);
    req.once('error', () => resolve());
    req.resume();
  });
}
