import type { IncomingMessage } from 'node:http';
import { ServeError } from '@servebench/contract';

/**
 * Reads a request body up to `limit` bytes. Past the limit it rejects with BODY_TOO_LARGE but keeps
 * reading (and discarding) the rest, so the client gets its 413 instead of a reset connection.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Uint8Array> {
  const declared = Number(req.headers['content-length']);
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    let tooLarge = Number.isFinite(declared) && declared > limit;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      if (!tooLarge) parts.push(chunk);
    });
    req.on('end', () => {
      if (tooLarge) reject(new ServeError('BODY_TOO_LARGE', `body exceeds ${limit} bytes`));
      else resolve(parts.length === 1 ? parts[0]! : Buffer.concat(parts));
    });
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
