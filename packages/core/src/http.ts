import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { ServeError } from '@servebench/contract';
import type { ServerConfig } from './config.js';
import { inTurn } from './pipelining.js';
import { errorReply } from './service.js';

/** After an answer sent before the body was read, how long the rest is read and discarded before the socket is destroyed. */
export const LINGER_MS = 5000;

const signals = new WeakMap<IncomingMessage, AbortSignal>();
const declaredLength = (req: IncomingMessage) => Number(req.headers['content-length']);
const hasBody = (req: IncomingMessage) => req.headers['transfer-encoding'] !== undefined || declaredLength(req) > 0;

/**
 * Closes `socket` the lingering way once the current response is done: FIN first, then keep reading
 * (and discarding) what the client still sends for up to LINGER_MS, then destroy. Destroying at once
 * with unread data makes the kernel reset the connection, and the client may lose its answer.
 */
function lingerOnClose(req: IncomingMessage, res: ServerResponse): void {
  const socket = req.socket as Socket & { destroySoon?: () => void };
  res.shouldKeepAlive = false; // Node adds `Connection: close` and ends the socket after this response
  socket.destroySoon = () => {
    req.resume();
    socket.end();
    const timer = setTimeout(() => socket.destroy(), LINGER_MS);
    timer.unref();
    socket.once('end', () => socket.destroy());
    socket.once('close', () => clearTimeout(timer));
  };
}

function send(res: ServerResponse, status: number, headers: Record<string, string>, body: string): void {
  res.writeHead(status, { ...headers, 'content-length': String(Buffer.byteLength(body)) });
  res.end(body);
}

function tooLarge(req: IncomingMessage, res: ServerResponse, limit: number): void {
  const r = errorReply(new ServeError('BODY_TOO_LARGE', `body exceeds ${limit} bytes`));
  lingerOnClose(req, res);
  send(res, r.status, r.headers, r.body);
}

/** Node's own answers to malformed or slow requests, in the contract's error format (a 'clientError' listener). */
export function answerClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  if (!socket.writable || (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent) {
    socket.destroy();
    return;
  }
  const [status, text, message] =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'Request Timeout', 'the request did not arrive in time']
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'Request Header Fields Too Large', 'the request headers are too large']
        : [400, 'Bad Request', 'the request is not valid HTTP/1.1'];
  const body = JSON.stringify({ error: { code: 'INVALID_REQUEST', message } });
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

/**
 * The abort signal of `req`: it fires when the client goes away before `res` is finished. Made on
 * first use, so routes that never wait on anything (hello_world, tokenize) pay nothing for it.
 */
export function requestSignal(req: IncomingMessage, res: ServerResponse): AbortSignal {
  let signal = signals.get(req);
  if (signal) return signal;
  const abort = new AbortController();
  signal = abort.signal;
  signals.set(req, signal);
  if (res.closed) {
    if (!res.writableFinished) abort.abort();
  } else {
    res.once('close', () => {
      if (!res.writableFinished) abort.abort();
    });
  }
  return signal;
}

/** Whether a request on `socket` is being answered (Node attaches the response to its socket until it is finished). */
const busy = (socket: Socket) => {
  const res = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
  return res != null && !res.writableFinished;
};

/**
 * Hardens a node:http server against slow, idle and oversized clients, for every framework alike:
 * - header, request and idle timeouts and a connection cap from the shared config;
 * - 413 at once for a Content-Length over the body limit, and for `Expect: 100-continue` with one
 *   (no 100 Continue is sent); an answer sent before the body was read closes the connection after
 *   a bounded linger, so an endless chunked body is cut off once the framework sees the limit;
 * - pipelined requests run one at a time per connection, the next once the previous answer has been
 *   sent, and a client that stops reading is closed after SEND_TIMEOUT_MS (pipelining.ts);
 * - requestSignal(req, res) gives a request's abort signal, fired when its client goes away first;
 * - Node's own 400/408/431 answers use the contract's error format (unless the framework has its own).
 * Call it on the server before it listens.
 */
export function hardenHttp(server: Server, config: Readonly<ServerConfig>): void {
  const c = config.connections;
  const limit = config.limits.maxBodyBytes;
  server.headersTimeout = c.headersTimeoutMs;
  server.requestTimeout = c.requestTimeoutMs;
  server.keepAliveTimeout = c.idleTimeoutMs;
  server.timeout = c.idleTimeoutMs;
  server.maxConnections = c.maxConnections;
  // How often Node checks the header and request timeouts (30 s by default).
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = Math.min(
    1000,
    c.headersTimeoutMs,
  );
  // A connection that stays idle (no request in progress) past the idle timeout is closed; one
  // whose request is being computed is left alone (its body had requestTimeout to arrive).
  server.on('timeout', (socket: Socket) => {
    if (!busy(socket)) socket.destroy();
  });
  if (server.listenerCount('clientError') === 0) server.on('clientError', answerClientError);

  const handlers = server.listeners('request') as Array<(req: IncomingMessage, res: ServerResponse) => void>;
  server.removeAllListeners('request');
  const answer = (req: IncomingMessage, res: ServerResponse) => {
    if (declaredLength(req) > limit) return tooLarge(req, res, limit);
    if (hasBody(req)) {
      // An answer that goes out before the whole body arrived (an over-limit chunked body): close after it.
      const writeHead = res.writeHead;
      res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
        if (!req.complete) lingerOnClose(req, res);
        return (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
      } as typeof res.writeHead;
    }
    for (const h of handlers) h.call(server, req, res);
  };
  server.on('request', (req: IncomingMessage, res: ServerResponse) =>
    inTurn(req, res, c.sendTimeoutMs, () => answer(req, res)),
  );
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    if (declaredLength(req) > limit) return tooLarge(req, res, limit);
    res.writeContinue();
    server.emit('request', req, res);
  });
}
