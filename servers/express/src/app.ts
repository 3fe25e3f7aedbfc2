import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ServeError, decodeUnreserved } from '@servebench/contract';
import {
  closeHttp,
  errorReply,
  hardenHttp,
  readBody,
  requestSignal,
  type Listening,
  type Reply,
  type ServerConfig,
  type Service,
} from '@servebench/core';
import express, { type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';

const send = (res: Response, r: Reply) => res.status(r.status).set(r.headers).send(r.body);
const bodyOf = (req: Request): Uint8Array => (Buffer.isBuffer(req.body) ? req.body : new Uint8Array());

/** Builds the express app; never listens (listen() decodes `%`-escaped unreserved characters before it). */
export function buildApp(service: Service): express.Express {
  const app = express();
  // Fairness: no etag, no x-powered-by, no request logging in any stack.
  app.set('etag', false);
  app.disable('x-powered-by');
  // The contract's exact paths: no case or trailing-slash leniency, `%5F` is `_` (packages/contract/src/edge.ts).
  app.set('case sensitive routing', true);
  app.set('strict routing', true);
  // `%5F` is `_`: decoded before express sees the URL (in listen), not in a middleware every request crosses.
  // Bodies are read raw and parsed by the shared core, so every stack parses JSON identically. Not
  // express.raw: body-parser reads an over-limit body to its end before answering 413, and an endless
  // chunked body has none; readBody answers at the limit (hardenHttp then closes after a linger).
  const raw: RequestHandler = (req, _res, next) => {
    const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
    if (encoding !== 'identity') return next({ status: 415 });
    readBody(req, service.config.limits.maxBodyBytes).then((body) => {
      req.body = body;
      next();
    }, next);
  };

  app.get('/hello_world', (_req, res) => send(res, service.hello()));
  app.get('/healthz', (_req, res) => send(res, service.health()));
  app.get('/readyz', async (_req, res) => send(res, await service.ready()));
  app.get('/metrics', async (_req, res) => send(res, await service.metricsText()));
  app.post('/tokenize', raw, (req, res) => send(res, service.tokenize(bodyOf(req), req.get('content-type'))));
  app.post('/predict', raw, async (req, res) =>
    send(res, await service.predict(bodyOf(req), req.get('content-type'), requestSignal(req, res))),
  );
  app.use((req, res) => send(res, service.unrouted(req.method, req.url)));

  const onError: ErrorRequestHandler = (err: { type?: string; status?: number }, _req, res, _next) => {
    if (err instanceof ServeError) return send(res, errorReply(err));
    if (err.type === 'entity.too.large')
      return send(
        res,
        errorReply(new ServeError('BODY_TOO_LARGE', `body exceeds ${service.config.limits.maxBodyBytes} bytes`)),
      );
    if (err.status === 415)
      return send(
        res,
        errorReply(new ServeError('UNSUPPORTED_MEDIA_TYPE', 'compressed request bodies are not supported')),
      );
    if (err.status && err.status < 500)
      return send(res, errorReply(new ServeError('INVALID_REQUEST', 'the request body could not be read')));
    send(res, errorReply(err));
  };
  app.use(onError);
  return app;
}

/** Listens on config.host:config.port (0 = any free port). */
export async function listen(service: Service, config: Readonly<ServerConfig>): Promise<Listening> {
  const app = buildApp(service);
  const server = createServer((req, res) => {
    if (req.url?.includes('%')) req.url = decodeUnreserved(req.url);
    app(req, res);
  });
  hardenHttp(server, config); // timeouts, connection cap, early 413, cancel on disconnect (before 'listening')
  server.listen(config.port, config.host);
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    close: () => closeHttp(server),
  };
}
