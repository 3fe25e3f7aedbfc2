// Container healthcheck with no dependencies (the base image has no curl):
//   node /app/healthcheck.mjs http   -> GET http://127.0.0.1:$PORT/readyz is 200
//   node /app/healthcheck.mjs grpc   -> grpc.health.v1.Health/Check("") says SERVING
//   node /app/healthcheck.mjs http /v2/health/ready   -> that path instead (Triton)
// Exit 0 when healthy, 1 otherwise, within 2 s.
import { connect } from 'node:http2';

const protocol = process.argv[2] ?? 'http';
const path = process.argv[3] ?? '/readyz';
const port = Number(process.env.PORT);
const host = process.env.HOST && process.env.HOST !== '0.0.0.0' ? process.env.HOST : '127.0.0.1';
const done = (ok) => process.exit(ok ? 0 : 1);
setTimeout(() => done(false), 2000).unref();

if (!Number.isInteger(port) || port <= 0) done(false);
else if (protocol === 'grpc') {
  const session = connect(`http://${host}:${port}`);
  session.on('error', () => done(false));
  const req = session.request({
    ':method': 'POST',
    ':path': '/grpc.health.v1.Health/Check',
    'content-type': 'application/grpc',
    te: 'trailers',
  });
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('error', () => done(false));
  req.on('end', () => {
    // One length-prefixed message: HealthCheckResponse { status = 1 (SERVING) } is the bytes 08 01.
    const body = Buffer.concat(chunks);
    done(body.length >= 7 && body[5] === 0x08 && body[6] === 0x01);
  });
  req.end(Buffer.from([0, 0, 0, 0, 0])); // uncompressed, empty HealthCheckRequest (service "")
} else {
  fetch(`http://${host}:${port}${path}`).then(
    (r) => done(r.ok),
    () => done(false),
  );
}
