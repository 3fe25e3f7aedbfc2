// `--launcher process` (the default): a stack's server as a child process on 127.0.0.1.
import type { StackSpec } from '../discover.js';
import { awaitReady, spawnChild, stopGroup } from './child.js';
import { stackReady } from './ready.js';
import type { Launched, LaunchOptions } from './types.js';
import { pinnedCommand } from '../placement/affinity.js';

export { EXIT_BACKEND_UNAVAILABLE } from './child.js';
export { LaunchError, type Launched, type LaunchOptions } from './types.js';

/**
 * The environment a stack's server starts with: 127.0.0.1, a port chosen by the OS (the server
 * reports it in its `listening` line), the backend, and EXIT_ON_STDIN_CLOSE so the server stops
 * when the runner's pipe closes, even if the runner is SIGKILLed.
 */
export function serverEnv(stack: StackSpec, extra: Record<string, string>): NodeJS.ProcessEnv {
  return {
    ...process.env,
    ...stack.server.env,
    ...extra,
    HOST: '127.0.0.1',
    PORT: '0',
    BACKEND: stack.backend,
    EXIT_ON_STDIN_CLOSE: '1',
  };
}

/** Starts a stack as a child process and probes it until ready. */
export async function launchProcess(stack: StackSpec, opts: LaunchOptions): Promise<Launched> {
  const t0 = performance.now();
  const child = spawnChild({
    argv: pinnedCommand(stack.server.start, opts.cpus),
    env: serverEnv(stack, opts.env),
    cwd: stack.server.dir,
    logFile: opts.logFile,
  });
  const stop = () => stopGroup(child, 10_000);
  let coldStartMs: number;
  try {
    coldStartMs = await awaitReady(child, {
      what: stack.id,
      t0,
      timeoutMs: opts.readyTimeoutMs,
      ready: async () => {
        const l = child.listening();
        return l !== undefined && stackReady(stack.server.protocol, l.url, opts.readyPath);
      },
      notReady: () => {
        const l = child.listening();
        if (!l) return 'never reported a listening port';
        const probe =
          stack.server.protocol === 'grpc'
            ? 'grpc.health.v1 never said SERVING'
            : `${opts.readyPath ?? '/readyz'} never answered 200`;
        return `listening at ${l.url}, ${probe}`;
      },
    });
  } catch (e) {
    await stop();
    throw e;
  }
  const listening = child.listening()!;
  const url = new URL(listening.url);
  return {
    pid: child.pid,
    host: url.hostname,
    port: Number(url.port),
    baseUrl: listening.url,
    coldStartMs,
    modelLoadMs: listening.loadMs,
    exited: child.exited,
    stop,
    logTail: child.logTail,
  };
}
