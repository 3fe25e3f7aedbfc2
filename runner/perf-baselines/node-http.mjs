import { createServer } from 'node:http';
import { BODY, PORT, announce } from './listen.mjs';

const server = createServer((req, res) => {
  if (req.url === '/hello_world') res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(BODY);
  else res.writeHead(404).end();
});
server.listen(PORT, '127.0.0.1', () => announce(server));
