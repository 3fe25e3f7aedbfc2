import Fastify from 'fastify';
import { BODY, PORT, announce } from './listen.mjs';

const app = Fastify({ logger: false });
app.get('/hello_world', (_req, reply) =>
  reply.code(200).header('content-type', 'application/json; charset=utf-8').send(BODY),
);
await app.listen({ port: PORT, host: '127.0.0.1' });
announce(app.server);
