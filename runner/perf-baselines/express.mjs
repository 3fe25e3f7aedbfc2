import express from 'express';
import { BODY, PORT, announce } from './listen.mjs';

const app = express();
app.set('etag', false);
app.disable('x-powered-by');
app.get('/hello_world', (_req, res) =>
  res.status(200).set('content-type', 'application/json; charset=utf-8').send(BODY),
);
const server = app.listen(PORT, '127.0.0.1', () => announce(server));
