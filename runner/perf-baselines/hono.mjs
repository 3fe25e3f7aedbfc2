import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { BODY, PORT, announce } from './listen.mjs';

const app = new Hono();
app.get('/hello_world', (c) => c.body(BODY, 200, { 'content-type': 'application/json; charset=utf-8' }));
const server = serve({ fetch: app.fetch, port: PORT, hostname: '127.0.0.1' }, () => announce(server));
