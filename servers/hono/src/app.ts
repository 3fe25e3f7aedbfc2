import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  closeHttp,
  hardenHttp,
  errorReply,
  readBody,
  requestSignal,
  type Listening,
  type Reply,
  type ServerConfig,
  type Service,
} from '@servebench/core';
import { serve, type HttpBindings } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import { getPath } from 'hono/utils/url';
import { canonicalPath } from '@servebench/contract';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

const send = (c: Context<{ Bindings: HttpBindings }>, r: Reply) =>
  c.body(r.body, r.status as ContentfulStatusCode, r.headers);

/** Builds the hono app; never listens. */
export function buildApp(service: Service): Hono<{ Bindings: HttpBindings }> {
  // Fairness: no request logging, etag or x-powered-by middleware in any stack.
  // Routes match the raw target's exact path (the contract's edge, packages/contract/src/edge.ts): node's
  // URL parsing would resolve `/./hello_world`, and hono's default getPath decodes every escape.
  const app = new Hono<{ Bindings: HttpBindings }>({
    getPath: (req, o) => {
      const target = o?.env?.incoming.url;
      return target?.startsWith('/') ? canonicalPath(target) : getPath(req);
    },
  });
  // Bodies are read raw from node's request and parsed by the shared core, so every stack parses
  // JSON identically. (hono's bodyLimit resets chunked uploads over the limit instead of answering 413.)
  const raw = (c: Context<{ Bindings: HttpBindings }>) => readBody(c.env.incoming, service.config.limits.maxBodyBytes);

  app.get('/hello_world', (c) => send(c, service.hello()));
  app.get('/healthz', (c) => send(c, service.health()));
  app.get('/readyz', async (c) => send(c, await service.ready()));
  app.get('/metrics', async (c) => send(c, await service.metricsText()));
  app.post('/tokenize', async (c) => send(c, service.tokenize(await raw(c), c.req.header('content-type'))));
  app.post('/predict', async (c) =>
    send(
      c,
      await service.predict(await raw(c), c.req.header('content-type'), requestSignal(c.env.incoming, c.env.outgoing)),
    ),
  );
  app.notFound((c) => send(c, service.unrouted(c.req.method, c.env.incoming.url ?? c.req.path)));
  app.onError((err, c) => send(c, errorReply(err)));
  return app;
}

/** Listens on config.host:config.port (0 = any free port). */
export async function listen(service: Service, config: Readonly<ServerConfig>): Promise<Listening> {
  const app = buildApp(service);
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, () => resolve(s));
    hardenHttp(s as Server, config); // timeouts, connection cap, early 413, cancel on disconnect (before 'listening')
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => closeHttp(server as Server),
  };
}
