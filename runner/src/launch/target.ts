// `--target <stack>=<url>`: measure an endpoint that is already running instead of launching the stack.
// It is verified like any stack (readiness here, then the run's answer checks); nothing is started or
// stopped. Loopback is the default; a non-loopback URL needs --allow-remote, decided before any connection.
import type { StackSpec } from '../discover.js';
import { AgentError } from '../agents/errors.js';
import { isLoopbackHost } from '../load/loopback.js';
import type { Sampler } from '../resources/sampler.js';
import { stackReady } from './ready.js';
import { LaunchError, type LaunchedStack, type Launcher } from './types.js';

export interface Target {
  url: string;
  /** The host is outside loopback (only with --allow-remote). */
  remote: boolean;
}

/** Parses `stack=url` items; refuses a non-loopback host unless allowRemote (no connection is made). */
export function parseTargets(items: readonly string[] | undefined, allowRemote: boolean): Record<string, Target> {
  const out: Record<string, Target> = {};
  for (const item of items ?? []) {
    const eq = item.indexOf('=');
    const stack = eq > 0 ? item.slice(0, eq).trim() : '';
    let url: URL;
    try {
      url = new URL(item.slice(eq + 1).trim());
    } catch {
      throw new AgentError('AGENT_BAD_SPEC', `--target ${JSON.stringify(item)}: expected <stack>=http://host:port`);
    }
    if (
      !stack ||
      (url.protocol !== 'http:' && url.protocol !== 'grpc:') ||
      !url.port ||
      !['', '/'].includes(url.pathname)
    )
      throw new AgentError('AGENT_BAD_SPEC', `--target ${JSON.stringify(item)}: expected <stack>=http://host:port`);
    if (out[stack]) throw new AgentError('AGENT_BAD_SPEC', `--target names ${stack} twice`);
    const remote = !isLoopbackHost(url.hostname);
    if (remote && !allowRemote)
      throw new AgentError(
        'TARGET_NOT_LOOPBACK',
        `--target ${stack}=${url.href}: ${url.hostname} is not loopback; add --allow-remote to measure it (the results will say so)`,
      );
    if (remote && url.protocol === 'grpc:')
      throw new AgentError('AGENT_BAD_SPEC', `--target ${stack}: remote gRPC targets are not supported (HTTP only)`);
    const base = url.protocol === 'grpc:' ? `${url.hostname}:${url.port}` : `http://${url.host}`;
    out[stack] = { url: base, remote };
  }
  return out;
}

/** No process of ours to sample: a remote (or foreign) server's CPU and RSS are not measured. */
function noSampler(): Sampler {
  const t0 = performance.now();
  return {
    startEpochMs: performance.timeOrigin + t0,
    elapsedS: () => (performance.now() - t0) / 1000,
    stop: () => ({ samples: [], peakRssMb: 0, meanCpuPct: 0 }),
  };
}

/** The endpoint as a launched stack once it is ready; errors like a launch that never got ready. */
export async function connectTarget(stack: StackSpec, target: Target, readyTimeoutMs: number): Promise<LaunchedStack> {
  const t0 = performance.now();
  const protocol = stack.server.protocol;
  while (!(await stackReady(protocol, target.url))) {
    if (performance.now() - t0 > readyTimeoutMs)
      throw new LaunchError('ready', `target ${target.url} for ${stack.id} not ready within ${readyTimeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
  const u = new URL(protocol === 'grpc' ? `grpc://${target.url}` : target.url);
  return {
    pid: 0,
    host: u.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: Number(u.port),
    baseUrl: target.url,
    coldStartMs: 0,
    modelLoadMs: undefined,
    exited: () => undefined,
    stop: async () => ({ code: null, signal: null }),
    logTail: () => `(target ${target.url}${target.remote ? ', remote' : ''}: not started by the runner, no log)`,
    sampleResources: noSampler,
    pids: () => [],
  };
}

/** Stacks named in `targets` connect to their endpoint; every other stack goes to `launcher`. */
export function withTargets(targets: Record<string, Target> | undefined, launcher: Launcher): Launcher {
  if (!targets || Object.keys(targets).length === 0) return launcher;
  return (stack, opts) => {
    const t = targets[stack.id];
    return t ? connectTarget(stack, t, opts.readyTimeoutMs) : launcher(stack, opts);
  };
}
