import cluster from 'node:cluster';
import { EXIT_BACKEND_UNAVAILABLE } from '@servebench/contract';
import { BackendError } from '@servebench/inference';
import { ensureModel } from '@servebench/model';
import { parseServerConfig, type ServerConfig } from './config.js';
import { Service } from './service.js';

/** A framework adapter's listening server. */
export interface Listening {
  port: number;
  /** Stops accepting, lets in-flight requests finish, then resolves. */
  close(): Promise<void>;
}

/** Exit status meaning "this backend cannot run on this machine"; the runner reports the stack as skipped. */
export { EXIT_BACKEND_UNAVAILABLE };

export type StartFn = (service: Service, config: Readonly<ServerConfig>) => Promise<Listening>;

const log = (event: string, fields: Record<string, unknown> = {}) =>
  process.stdout.write(`${JSON.stringify({ event, pid: process.pid, ...fields })}\n`);

/**
 * The shared `main`: parse config, optionally fork WORKERS processes (node:cluster, like the
 * seed's WORKER_COUNT), load the model, listen, and stop gracefully on SIGTERM/SIGINT.
 * Prints one JSON line `{"event":"listening","url":...}` once every worker is accepting.
 */
export async function runServer(name: string, start: StartFn, env: Record<string, string | undefined>): Promise<void> {
  let config: Readonly<ServerConfig>;
  try {
    config = parseServerConfig(env);
  } catch (e) {
    process.stderr.write(`${name}: ${(e as Error).message}\n`);
    process.exit(2);
  }
  if (config.workers > 1 && cluster.isPrimary) return runPrimary(name, config, env);

  const service = new Service(config, name);
  const t0 = performance.now();
  try {
    await service.load();
  } catch (e) {
    process.stderr.write(`${name}: cannot start: ${(e as Error).message}\n`);
    process.exit(e instanceof BackendError && e.code === 'BACKEND_CONFIG' ? EXIT_BACKEND_UNAVAILABLE : 1);
  }
  const loadMs = Math.round(performance.now() - t0);
  const server = await start(service, config);
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${server.port}`;

  // Handlers first: a SIGTERM that follows the listening line at once still stops gracefully.
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log('stopping', { signal });
    const timer = setTimeout(() => {
      process.stderr.write(`${name}: in-flight requests did not finish within ${config.shutdownGraceMs} ms\n`);
      process.exit(1);
    }, config.shutdownGraceMs);
    timer.unref();
    server
      .close()
      .then(() => service.close())
      .then(
        () => process.exit(0),
        (e: unknown) => {
          process.stderr.write(`${name}: shutdown failed: ${(e as Error).message}\n`);
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  if (!cluster.isWorker) watchParent(env, () => stop('stdin closed'));
  if (cluster.isWorker) process.send?.({ listening: server.port, loadMs });
  else log('listening', { server: name, url, backend: config.backend, model: config.model, workers: 1, loadMs });
}

/**
 * With EXIT_ON_STDIN_CLOSE=1 (set by the runner, which holds the other end of a pipe) the server
 * stops when its stdin closes, so no server outlives a runner that was killed with SIGKILL.
 */
function watchParent(env: Record<string, string | undefined>, stop: () => void): void {
  if (env.EXIT_ON_STDIN_CLOSE !== '1') return;
  process.stdin.on('end', stop);
  process.stdin.on('close', stop);
  process.stdin.on('error', stop);
  process.stdin.resume();
}

async function runPrimary(
  name: string,
  config: Readonly<ServerConfig>,
  env: Record<string, string | undefined>,
): Promise<void> {
  // Generate the model once here so the workers do not race to write it.
  await ensureModel(config.model, { seed: config.modelSeed, root: config.modelsDir });
  const ports = new Set<number>();
  let listening = 0;
  let loadMs = 0;
  let stopping = false;
  for (let i = 0; i < config.workers; i++) {
    const worker = cluster.fork();
    worker.on('message', (m: { listening?: number; loadMs?: number }) => {
      if (m.listening === undefined) return;
      ports.add(m.listening);
      loadMs = Math.max(loadMs, m.loadMs ?? 0);
      if (++listening === config.workers) {
        const port = [...ports][0];
        log('listening', {
          server: name,
          url: `http://${config.host}:${port}`,
          backend: config.backend,
          model: config.model,
          workers: config.workers,
          loadMs,
        });
      }
    });
  }
  cluster.on('exit', (worker, code) => {
    if (!stopping) {
      process.stderr.write(`${name}: worker ${worker.process.pid} exited with ${code}; stopping\n`);
      stopping = true;
      for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
      process.exitCode = 1;
    }
    if (Object.keys(cluster.workers ?? {}).length === 0) process.exit();
  });
  const stop = () => {
    if (stopping) return;
    stopping = true;
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  watchParent(env, stop);
}
