// Shared by the baselines: announce the bound port the way the reference servers do.
export function announce(server) {
  const { port } = server.address();
  process.stdout.write(`${JSON.stringify({ event: 'listening', url: `http://127.0.0.1:${port}` })}\n`);
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}
export const PORT = Number(process.env.PORT ?? 0);
export const BODY = '{"Hello":"World"}';
