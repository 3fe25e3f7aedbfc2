import { ServeError } from '@servebench/contract';
import {
  answerClientError,
  closeHttp,
  errorReply,
  hardenHttp,
  requestSignal,
  type Listening,
  type Reply,
  type ServerConfig,
  type Service,
} from '@servebench/core';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';

const send = (reply: FastifyReply, r: Reply) => reply.code(r.status).headers(r.headers).send(r.body);
const bodyOf = (body: unknown): Uint8Array => (Buffer.isBuffer(body) ? body : new Uint8Array());

/** Builds the fastify app; never listens. */
export function buildApp(service: Service): FastifyInstance {
  // Fairness: no request logging in any stack (fastify sends no etag or x-powered-by by default).
  const app = Fastify({
    logger: false,
    bodyLimit: service.config.limits.maxBodyBytes,
    // fastify's own answers to malformed HTTP, in the contract's error format like the other stacks
    clientErrorHandler: answerClientError,
    // void: the reply is thenable, and this hook only sends it (nothing to wait for).
    frameworkErrors: (_err, _req, reply) =>
      void send(reply, errorReply(new ServeError('INVALID_REQUEST', 'the request URL is not valid'))),
  });
  // Bodies are read raw and parsed by the shared core, so every stack parses JSON identically.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  app.get('/hello_world', (_req, reply) => send(reply, service.hello()));
  app.get('/healthz', (_req, reply) => send(reply, service.health()));
  app.get('/readyz', async (_req, reply) => send(reply, await service.ready()));
  app.get('/metrics', async (_req, reply) => send(reply, await service.metricsText()));
  app.post('/tokenize', (req, reply) => send(reply, service.tokenize(bodyOf(req.body), req.headers['content-type'])));
  app.post('/predict', async (req, reply) =>
    send(
      reply,
      await service.predict(bodyOf(req.body), req.headers['content-type'], requestSignal(req.raw, reply.raw)),
    ),
  );
  app.setNotFoundHandler((req, reply) => send(reply, service.unrouted(req.method, req.url)));
  app.setErrorHandler(async (err: { code?: string; statusCode?: number }, req, reply) => {
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      // Answered at once (an endless chunked body never ends); hardenHttp closes after a linger, not a reset.
      return send(
        reply,
        errorReply(new ServeError('BODY_TOO_LARGE', `body exceeds ${service.config.limits.maxBodyBytes} bytes`)),
      );
    }
    // A body fastify could not read on a request no route took (e.g. QUERY): the edge answer, not a 4xx of the body.
    if (req.is404) return send(reply, service.unrouted(req.method, req.url));
    if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
      return send(reply, errorReply(new ServeError('UNSUPPORTED_MEDIA_TYPE', 'Content-Type must be application/json')));
    if (err.statusCode && err.statusCode < 500)
      return send(reply, errorReply(new ServeError('INVALID_REQUEST', 'the request body could not be read')));
    return send(reply, errorReply(err));
  });
  return app;
}

/** Listens on config.host:config.port (0 = any free port). */
export async function listen(service: Service, config: Readonly<ServerConfig>): Promise<Listening> {
  const app = buildApp(service);
  hardenHttp(app.server, config); // timeouts, connection cap, early 413, cancel on disconnect
  await app.listen({ port: config.port, host: config.host });
  const address = app.server.address();
  return {
    port: typeof address === 'object' && address ? address.port : config.port,
    close: () => closeHttp(app.server),
  };
}
