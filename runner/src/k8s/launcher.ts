// `--launcher k8s`: each stack is a Deployment + Service (render.ts) created through the API server,
// ready when the Deployment reports every replica ready; stop() deletes both and waits until they are
// gone. Each cell's load runs as an Indexed Job of agents (agents-job.ts). The servers are reached by
// their Service name, so the runner itself must run where cluster DNS resolves (inside the cluster).
import { performance } from 'node:perf_hooks';
import type { StackSpec } from '../discover.js';
import { LaunchError, type LaunchedStack, type Launcher } from '../launch/types.js';
import { defaultPorts } from '../lists/compose-services.js';
import type { Sampler } from '../resources/sampler.js';
import { K8sError } from './errors.js';
import { objectName, renderStack, type K8sOptions } from './render.js';
import type { K8sSession } from './session.js';

export interface K8sLauncherOptions {
  session: K8sSession;
  root: string;
  render: K8sOptions;
}

/** No /proc to read from outside the pod: the series is empty (the cluster's metrics are the place for it). */
function noSampler(): Sampler {
  const startEpochMs = performance.timeOrigin + performance.now();
  const t0 = performance.now();
  return {
    startEpochMs,
    elapsedS: () => (performance.now() - t0) / 1000,
    stop: () => ({ samples: [], peakRssMb: 0, meanCpuPct: 0 }),
  };
}

export function k8sLauncher(o: K8sLauncherOptions): Launcher {
  return async (stack: StackSpec, opts) => {
    const port = defaultPorts([stack.server]).get(stack.server.id)!;
    // The run's per-stack env (WORKERS, threads, batching, --stack-env) goes into the pod like the stack's own.
    const withEnv = { ...stack, server: { ...stack.server, env: { ...stack.server.env, ...opts.env } } };
    const objs = renderStack(o.root, withEnv, port, o.render);
    const [deployment] = objs;
    const t0 = performance.now();
    try {
      await o.session.apply(objs);
      await o.session.waitDeploymentReady(deployment!, opts.readyTimeoutMs);
    } catch (e) {
      await o.session.remove(objs.filter((x) => o.session.objects().includes(x))).catch(() => {});
      const unavailable = e instanceof K8sError && e.code === 'K8S_EXISTS';
      throw new LaunchError(
        e instanceof K8sError && e.code === 'K8S_NOT_READY' ? 'ready' : 'spawn',
        (e as Error).message,
        unavailable,
      );
    }
    const coldStartMs = performance.now() - t0;
    const host = `${objectName(stack.id)}.${o.render.namespace}.svc`;
    let stopped: { code: number | null; signal: string | null } | undefined;
    return {
      pid: 0,
      pids: () => [],
      host,
      port,
      baseUrl: `http://${host}:${port}`,
      coldStartMs,
      modelLoadMs: undefined,
      exited: () => undefined,
      sampleResources: noSampler,
      logTail: () => `(pod logs: kubectl -n ${o.render.namespace} logs deployment/${objectName(stack.id)})`,
      stop: async () => {
        if (!stopped) {
          await o.session.remove(objs);
          stopped = { code: 0, signal: null };
        }
        return stopped;
      },
    } satisfies LaunchedStack;
  };
}
