// TEST STAND-IN (see package.json): a deliberately wrong server. It starts, reports ready, answers
// hello_world correctly, and returns wrong token ids and embeddings, so verification must fail.
import { createServer } from 'node:http';

const ready = {
  status: 'ready',
  server: 'broken-standin',
  backend: 'none',
  backend_info: {},
  model: { name: 'tiny', seed: 0, hidden_size: 4, max_length: 512, sha256: '' },
  limits: { max_body_bytes: 1024, max_texts: 4, max_text_chars: 100 },
};
const server = createServer((req, res) => {
  const send = (status, body) =>
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  req.resume();
  req.on('end', () => {
    if (req.url === '/hello_world') return send(200, { Hello: 'World' });
    if (req.url === '/readyz' || req.url === '/healthz') return send(200, ready);
    if (req.url === '/tokenize')
      return send(200, { input_ids: [101, 102], attention_mask: [1, 1], token_type_ids: [0, 0] });
    if (req.url === '/predict') return send(200, { embedding: [0, 0, 0, 0] });
    send(404, { error: { code: 'NOT_FOUND', message: 'no such route' } });
  });
});
server.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1', () => {
  const { port } = server.address();
  process.stdout.write(`${JSON.stringify({ event: 'listening', url: `http://127.0.0.1:${port}` })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
