// `--launcher compose`: a stack's service(s) from compose/compose.yaml, brought up with `docker compose`
// (v2) or `docker-compose` (v1), probed until ready, sampled with `docker stats`, and taken `down`
// again, also on Ctrl-C (exit hook) and when the runner is SIGKILLed (a detached reaper). Each launched
// stack is its own compose project, so stacks kept up side by side never share a container. A proxy
// stack (triton-*) gets its model server in a container of its own, started and probed first.
// Mapping, containers, model servers, stats and the reaper live in the compose-*.ts modules beside this.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { awaitReady, freePorts, listeningOf, LogSink, runToEnd, type Exit } from './child.js';
import { followContainer, type FollowedContainer } from './compose-container.js';
import { envFileText, needsGpu, parseConfigImages, portVar, servicesOf, stackProject } from './compose-map.js';
import { prepareModelServer, type ComposeModelServerConfig } from './compose-modelserver.js';
import { guardProject } from './compose-reaper.js';
import { sumSamplers } from '../resources/sampler.js';
import { dockerStats } from './compose-stats.js';
import { formatCpuList } from '../placement/cpus.js';
import { recordModelServerInfo } from './modelserver.js';
import { stackReady } from './ready.js';
import { LaunchError, type LaunchedStack, type Launcher } from './types.js';

export type { Launcher, LaunchedStack } from './types.js';
export type { ComposeModelServerConfig } from './compose-modelserver.js';

export interface ComposeConfig {
  /** The repo root: compose files in <root>/compose, models in <root>/models. */
  root: string;
  /** Compose project prefix, one per run (default servebench-<runner pid>); each stack adds its id. */
  project?: string;
  /** Force a compose CLI, e.g. ['docker-compose']; default: `docker compose` (v2) if present, else `docker-compose` (v1). */
  command?: string[];
  /** Seconds `down` gives a server to stop after SIGTERM. */
  stopGraceS?: number;
  /** The run's model and batching settings, for the model server of triton-* stacks (its repository). */
  modelServer?: ComposeModelServerConfig;
}

interface DockerState {
  ok: boolean;
  reason: string;
  compose: string[];
}

/** Is docker usable, and which compose CLI? Asked once per launcher. */
async function probeDocker(forced: string[] | undefined): Promise<DockerState> {
  const info = await runToEnd(['docker', 'info', '--format', '{{.ServerVersion}}'], { timeoutMs: 15_000 });
  if (info.code === null && /ENOENT/.test(info.stderr)) {
    return { ok: false, reason: 'docker is not installed (apt-get install -y docker.io docker-compose)', compose: [] };
  }
  if (info.code !== 0) {
    return {
      ok: false,
      reason: `the Docker daemon does not answer (start it: sh compose/scripts/dockerd.sh): ${info.stderr.trim().split('\n').pop() ?? ''}`,
      compose: [],
    };
  }
  const candidates = forced ? [forced] : [['docker', 'compose'], ['docker-compose']];
  for (const c of candidates) {
    const v = await runToEnd([...c, 'version'], { timeoutMs: 15_000 });
    if (v.code === 0) return { ok: true, reason: '', compose: c };
  }
  return {
    ok: false,
    reason: `no compose CLI: tried ${candidates.map((c) => c.join(' ')).join(', ')} (apt-get install -y docker-compose)`,
    compose: [],
  };
}

/** Each image, with its id, build time and revision (images are snapshots of dist/ at build time: say which ran). */
async function inspectImages(services: string[], images: Map<string, string>): Promise<string[]> {
  const notes: string[] = [];
  for (const svc of services) {
    const image = images.get(svc);
    if (!image) throw new LaunchError('spawn', `compose.yaml has no service "${svc}" with an image`, true);
    const format = `${image} {{.Id}} created {{.Created}} revision {{index .Config.Labels "org.opencontainers.image.revision"}}`;
    const present = await runToEnd(['docker', 'image', 'inspect', '--format', format, image], { timeoutMs: 15_000 });
    if (present.code !== 0) {
      const hint = image.startsWith('servebench-')
        ? `build it: sh compose/build.sh${svc === 'triton' ? ' --only triton' : ''}`
        : 'it cannot be pulled here (no registry access)';
      throw new LaunchError('spawn', `image ${image} (service ${svc}) is not present locally; ${hint}`, true);
    }
    notes.push(present.stdout.trim());
  }
  return notes;
}

/** The compose launcher for one run. Stacks that cannot run here throw LaunchError(unavailable): skipped. */
export function composeLauncher(cfg: ComposeConfig): Launcher {
  const runProject = cfg.project ?? `servebench-${process.pid}`;
  const dir = join(cfg.root, 'compose');
  const file = join(dir, 'compose.yaml');
  const gpuFile = join(dir, 'compose.gpu.yaml');
  const modelsDir = join(cfg.root, 'models');
  const graceS = cfg.stopGraceS ?? 15;
  let docker: Promise<DockerState> | undefined;

  return async (stack, opts) => {
    const state = await (docker ??= probeDocker(cfg.command));
    if (!state.ok) throw new LaunchError('spawn', state.reason, true);
    if (!existsSync(file)) throw new LaunchError('spawn', `${file} is missing`, true);
    const { server: service, modelServer } = servicesOf(stack);
    const serverEnv: Record<string, string> = { ...stack.server.env, ...opts.env, BACKEND: stack.backend };
    const gpu = needsGpu(stack.backend, serverEnv);
    if (gpu && !existsSync('/dev/nvidiactl'))
      throw new LaunchError(
        'spawn',
        `${stack.id} needs a GPU (compose.gpu.yaml) and this machine has no NVIDIA device`,
        true,
      );

    const [port, ...msPorts] = (await freePorts(1 + (modelServer?.ports.length ?? 0))) as [number, ...number[]];
    const project = stackProject(runProject, stack.id);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      SERVEBENCH_MODELS_DIR: modelsDir,
      [portVar(service)]: String(port),
      // compose.yaml interpolates these into the TF Serving repository path.
      MODEL: serverEnv.MODEL ?? 'mini',
      MODEL_SEED: serverEnv.MODEL_SEED ?? '0',
    };
    const cmd = [...state.compose, '-p', project, '-f', file, ...(gpu ? ['-f', gpuFile] : [])];
    const compose = (args: string[], timeoutMs = 120_000) => runToEnd([...cmd, ...args], { env, timeoutMs });

    // Every image must be here already: nothing can be pulled on this machine, and a pull would only hang.
    const services = [...(modelServer ? [modelServer.service] : []), service];
    const v2 = state.compose[0] === 'docker';
    const config = await compose(v2 ? ['config', '--format', 'json'] : ['config']);
    if (config.code !== 0) throw new LaunchError('spawn', `compose config failed: ${config.stderr.trim()}`);
    const images = parseConfigImages(config.stdout);
    const imageNotes = await inspectImages(services, images);

    const prepared = modelServer
      ? await prepareModelServer(modelServer, msPorts, {
          modelsDir,
          config: cfg.modelServer,
          image: images.get(modelServer.service)!,
        })
      : undefined;
    Object.assign(env, prepared?.composeEnv);
    if (prepared && !serverEnv.MODEL_SERVER_URL) Object.assign(serverEnv, prepared.serverEnv);
    const envFile = opts.logFile.replace(/\.log$/, '') + '.env';
    writeFileSync(envFile, envFileText(serverEnv));
    env.SERVEBENCH_ENV_FILE = envFile;

    // The log file gets compose's output too; the tail (reasons, post-mortems) only the server's.
    const log = new LogSink(opts.logFile);
    const msLog = modelServer ? new LogSink(opts.logFile.replace(/(\.log)?$/, '.modelserver.log')) : undefined;
    const note = (text: string) => log.write(text, false);
    note(`[images] ${imageNotes.join('; ')}\n[project] ${project}\n`);
    const release = guardProject(project, cmd, env);
    const containers: FollowedContainer[] = [];
    const closers: Array<() => void> = [];
    let stopping: Promise<Exit> | undefined;
    let server: FollowedContainer | undefined;

    const stop = () =>
      (stopping ??= (async () => {
        const down = await compose(['down', '-t', String(graceS)], (graceS + 60) * 1000);
        note(`\n[compose down: ${down.code}] ${down.stderr}`);
        // `docker wait` reports the exit status as the container stops; give it a moment after `down`.
        const waited = Promise.all(containers.map((c) => c.done));
        await Promise.race([waited, new Promise((r) => setTimeout(r, 5000).unref())]);
        for (const c of containers) c.close();
        for (const close of closers) close();
        release();
        log.end();
        msLog?.end();
        return server?.exited() ?? { code: null, signal: null };
      })());

    /** `up` one service (alone: --no-deps) and follow its container. */
    const start = async (svc: string, sink: LogSink): Promise<FollowedContainer> => {
      const up = await compose(
        ['up', '-d', '--no-build', '--no-deps', ...(v2 ? ['--pull', 'never'] : []), svc],
        opts.readyTimeoutMs,
      );
      note(`[compose up ${svc}: ${up.code}] ${up.stderr}${up.stdout}`);
      if (up.code !== 0)
        throw new LaunchError('spawn', `compose up ${svc} failed (${up.code}): ${up.stderr.trim().slice(-1500)}`);
      const id = (await compose(['ps', '-q', svc])).stdout.trim().split('\n')[0];
      if (!id) throw new LaunchError('spawn', `compose up started no container for ${svc}`);
      const c = followContainer(id, sink);
      containers.push(c);
      // --cpus: the container's cgroup cpuset is set right after it starts (its model loads later); the
      // placement wrapper then reads every process of it back from /proc, as for the process launcher.
      if (opts.cpus?.length) {
        const set = formatCpuList(opts.cpus);
        const pinned = await runToEnd(['docker', 'update', '--cpuset-cpus', set, id], { timeoutMs: 15_000 });
        note(`[cpuset ${svc}: ${set}, ${pinned.code}] ${pinned.stderr}`);
        if (pinned.code !== 0)
          throw new LaunchError('spawn', `docker update --cpuset-cpus ${set} ${svc} failed: ${pinned.stderr.trim()}`);
      }
      return c;
    };

    try {
      let ms: { c: FollowedContainer; coldStartMs: number } | undefined;
      if (modelServer && prepared && msLog) {
        const t0 = performance.now();
        const c = await start(modelServer.service, msLog);
        const coldStartMs = await awaitReady(c, {
          what: `container ${c.id.slice(0, 12)} (${modelServer.service})`,
          t0,
          timeoutMs: opts.readyTimeoutMs,
          intervalMs: 100,
          ready: () => prepared.ready(c),
        });
        ms = { c, coldStartMs };
      }

      const t0 = performance.now();
      server = await start(service, log);
      const s = server;
      const baseUrl = `http://127.0.0.1:${port}`;
      const msDied = (): Exit | undefined => {
        const x = ms?.c.exited();
        return x ? { code: x.code, signal: `model server exit ${x.code}` } : undefined;
      };
      const watched = {
        exited: () => s.exited() ?? msDied(),
        logTail: () => (msDied() ? `model server log:\n${ms!.c.logTail()}` : s.logTail()),
      };
      const coldStartMs = await awaitReady(watched, {
        what: `container ${s.id.slice(0, 12)} (${service})`,
        t0,
        timeoutMs: opts.readyTimeoutMs,
        ready: () => stackReady(stack.server.protocol, baseUrl),
        notReady: () =>
          `on port ${port}, ${s.event('listening') ? 'listening, but not ready' : 'never reported a listening port'}`,
      });
      const listening = s.event('listening');
      const pid = await s.pid();
      const msPid = ms ? await ms.c.pid() : undefined;
      const stats = [dockerStats(s.id), ...(ms ? [dockerStats(ms.c.id)] : [])];
      for (const st of stats) closers.push(st.close);
      const launched: LaunchedStack = {
        pid,
        host: '127.0.0.1',
        port,
        baseUrl,
        coldStartMs,
        modelLoadMs: listening ? listeningOf(listening)?.loadMs : undefined,
        exited: watched.exited,
        stop,
        logTail: watched.logTail,
        // A proxy stack's CPU and memory include its model server's container, as with the process launcher.
        sampleResources: () => sumSamplers(stats.map((st) => st.sampler())),
        pids: () => (msPid ? [pid, msPid] : [pid]),
      };
      if (ms) {
        const info = await prepared!.info(ms.c);
        recordModelServerInfo(
          launched,
          { ...info, model_server_cold_start_ms: String(ms.coldStartMs) },
          prepared!.batching(ms.c),
        );
      }
      return launched;
    } catch (e) {
      await stop();
      throw e;
    }
  };
}
