// The calibration server: bare node:http answering one fixed body, no framework, no model. Its req/s over a
// run shows how much the machine itself drifted. Speaks the launcher's protocol: a JSON "listening" line,
// 200 on /readyz, exits when stdin closes (EXIT_ON_STDIN_CLOSE).
import { createServer } from 'node:http';

const path = process.env.HELLO_PATH ?? '/hello_world';
const body = Buffer.from(process.env.HELLO_BODY ?? '{"Hello":"World"}');
const server = createServer((req, res) => {
  if (req.url === path || req.url === '/readyz') {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
    res.end(body);
  } else {
    res.writeHead(404, { 'content-length': 0 });
    res.end();
  }
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1', () => {
  const a = server.address();
  if (a && typeof a === 'object')
    process.stdout.write(`${JSON.stringify({ event: 'listening', url: `http://${a.address}:${a.port}` })}\n`);
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
if (process.env.EXIT_ON_STDIN_CLOSE === '1') {
  process.stdin.on('end', stop);
  process.stdin.on('close', stop);
  process.stdin.resume();
}
