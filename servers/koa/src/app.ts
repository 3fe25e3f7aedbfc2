import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ROUTES, canonicalPath } from '@servebench/contract';
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
import Koa, { type Context } from 'koa';

type Handler = (ctx: Context) => Reply | Promise<Reply>;

/** The origin form of a request target: RFC 9112 (3.2.2) has a server accept the absolute form too, routed by its path. */
const originForm = (target: string) => {
  const m = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(target);
  if (!m) return target;
  const rest = target.slice(m[0].length);
  return rest.startsWith('/') ? rest : `/${rest}`;
};

/** Builds the koa app; never listens. */
export function buildApp(service: Service): Koa {
  // Fairness: koa has no logger, etag or x-powered-by of its own, and nothing is added here.
  const app = new Koa();
  // Bodies are read raw from node's request and parsed by the shared core, so every stack parses JSON identically.
  const raw = (ctx: Context) => readBody(ctx.req, service.config.limits.maxBodyBytes);
  const routes: Record<string, Handler> = {
    [`GET ${ROUTES.hello}`]: () => service.hello(),
    [`GET ${ROUTES.healthz}`]: () => service.health(),
    [`GET ${ROUTES.readyz}`]: () => service.ready(),
    [`GET ${ROUTES.metrics}`]: () => service.metricsText(),
    [`POST ${ROUTES.tokenize}`]: async (ctx) => service.tokenize(await raw(ctx), ctx.get('content-type') || undefined),
    [`POST ${ROUTES.predict}`]: async (ctx) =>
      service.predict(await raw(ctx), ctx.get('content-type') || undefined, requestSignal(ctx.req, ctx.res)),
  };
  app.use(async (ctx) => {
    // Exact paths from the raw target (the contract's edge, packages/contract/src/edge.ts); HEAD is GET
    // without a body (koa leaves the body out); anything else goes to the core's unrouted answer.
    const target = originForm(ctx.req.url ?? '/');
    const route = routes[`${ctx.method === 'HEAD' ? 'GET' : ctx.method} ${canonicalPath(target)}`];
    let r: Reply;
    try {
      r = route ? await route(ctx) : service.unrouted(ctx.method, target);
    } catch (e) {
      r = errorReply(e);
    }
    ctx.set(r.headers);
    ctx.status = r.status;
    ctx.body = r.status === 204 ? null : r.body;
  });
  return app;
}

/** Listens on config.host:config.port (0 = any free port). */
export async function listen(service: Service, config: Readonly<ServerConfig>): Promise<Listening> {
  const handle = buildApp(service).callback();
  // void: koa's handler answers its own errors (ctx.onerror), and node ignores a listener's promise.
  const server = createServer((req, res) => void handle(req, res));
  hardenHttp(server, config); // timeouts, connection cap, early 413, cancel on disconnect (before 'listening')
  server.listen(config.port, config.host);
  await once(server, 'listening');
  return { port: (server.address() as AddressInfo).port, close: () => closeHttp(server) };
}
