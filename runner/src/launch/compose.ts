// `--launcher compose`: a stack's service(s) from compose/compose.yaml, brought up with `docker compose`
// (v2) or `docker-compose` (v1), probed until ready, sampled with `docker stats`, and taken `down`
// again, also on Ctrl-C (exit hook) and when the runner is SIGKILLed (a detached reaper).
// Mapping, stats and the reaper live in compose-map.ts, compose-stats.ts and compose-reaper.ts.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { awaitReady, eventLines, freePorts, listeningOf, LogSink, runToEnd, type Exit } from './child.js';
import { envFileText, needsGpu, parseConfigImages, portVar, servicesOf } from './compose-map.js';
import { guardProject } from './compose-reaper.js';
import { dockerStats } from './compose-stats.js';
import { stackReady } from './ready.js';
import { LaunchError, type Launcher } from './types.js';

export type { Launcher, LaunchedStack } from './types.js';

export interface ComposeConfig {
  /** The repo root: compose files in <root>/compose, models in <root>/models. */
  root: string;
  /** Compose project name, one per run (default servebench-<runner pid>). */
  project?: string;
  /** Force a compose CLI, e.g. ['docker-compose']; default: `docker compose` (v2) if present, else `docker-compose` (v1). */
  command?: string[];
  /** Seconds `down` gives a server to stop after SIGTERM. */
  stopGraceS?: number;
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

/** The compose launcher for one run. Stacks that cannot run here throw LaunchError(unavailable): skipped. */
export function composeLauncher(cfg: ComposeConfig): Launcher {
  const project = cfg.project ?? `servebench-${process.pid}`;
  const dir = join(cfg.root, 'compose');
  const file = join(dir, 'compose.yaml');
  const gpuFile = join(dir, 'compose.gpu.yaml');
  const graceS = cfg.stopGraceS ?? 15;
  let docker: Promise<DockerState> | undefined;

  return async (stack, opts) => {
    const state = await (docker ??= probeDocker(cfg.command));
    if (!state.ok) throw new LaunchError('spawn', state.reason, true);
    if (!existsSync(file)) throw new LaunchError('spawn', `${file} is missing`, true);
    const { server: service, modelServer } = servicesOf(stack);
    const serverEnv: Record<string, string> = { ...stack.server.env, ...opts.env, BACKEND: stack.backend };
    if (modelServer && !serverEnv.MODEL_SERVER_URL) serverEnv.MODEL_SERVER_URL = modelServer.url;
    const gpu = needsGpu(stack.backend, serverEnv);
    if (gpu && !existsSync('/dev/nvidiactl'))
      throw new LaunchError(
        'spawn',
        `${stack.id} needs a GPU (compose.gpu.yaml) and this machine has no NVIDIA device`,
        true,
      );

    const [port] = (await freePorts(1)) as [number];
    const envFile = opts.logFile.replace(/\.log$/, '') + '.env';
    writeFileSync(envFile, envFileText(serverEnv));
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      SERVEBENCH_ENV_FILE: envFile,
      SERVEBENCH_MODELS_DIR: join(cfg.root, 'models'),
      [portVar(service)]: String(port),
      // compose.yaml interpolates these into the model servers' repository paths.
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
    const imageNotes: string[] = [];
    for (const svc of services) {
      const image = images.get(svc);
      if (!image) throw new LaunchError('spawn', `compose.yaml has no service "${svc}" with an image`, true);
      const present = await runToEnd(
        [
          'docker',
          'image',
          'inspect',
          '--format',
          `${image} {{.Id}} created {{.Created}} revision {{index .Config.Labels "org.opencontainers.image.revision"}}`,
          image,
        ],
        { timeoutMs: 15_000 },
      );
      if (present.code !== 0) {
        const hint = image.startsWith('servebench-')
          ? 'build it: sh compose/build.sh'
          : 'it cannot be pulled here (no registry access)';
        throw new LaunchError('spawn', `image ${image} (service ${svc}) is not present locally; ${hint}`, true);
      }
      // Images are snapshots of dist/ at build time: say which one ran.
      imageNotes.push(present.stdout.trim());
    }

    // The log file gets compose's output too; the tail (reasons, post-mortems) only the server's.
    const log = new LogSink(opts.logFile);
    const note = (text: string) => log.write(text, false);
    note(`[images] ${imageNotes.join('; ')}\n`);
    const t0 = performance.now();
    const release = guardProject(project, cmd, env);
    const followers: ChildProcess[] = [];
    const closers: Array<() => void> = [];
    let exit: Exit | undefined;
    let stopping: Promise<Exit> | undefined;
    let exited: Promise<void> = Promise.resolve();

    const stop = () =>
      (stopping ??= (async () => {
        const down = await compose(['down', '-t', String(graceS)], (graceS + 60) * 1000);
        note(`\n[compose down: ${down.code}] ${down.stderr}`);
        // `docker wait` reports the exit status as the container stops; give it a moment after `down`.
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000).unref())]);
        for (const f of followers) f.kill('SIGKILL');
        for (const close of closers) close();
        release();
        log.end();
        return exit ?? { code: null, signal: null };
      })());

    try {
      const up = await compose(
        ['up', '-d', '--no-build', ...(v2 ? ['--pull', 'never'] : []), ...services],
        opts.readyTimeoutMs,
      );
      note(`[compose up: ${up.code}] ${up.stderr}${up.stdout}`);
      if (up.code !== 0)
        throw new LaunchError('spawn', `compose up failed (${up.code}): ${up.stderr.trim().slice(-1500)}`);
      const ps = await compose(['ps', '-q', service]);
      const id = ps.stdout.trim().split('\n')[0];
      if (!id) throw new LaunchError('spawn', `compose up started no container for ${service}`);

      let listening: { url: string; loadMs?: number } | undefined;
      const scan = eventLines((ev) => (listening ??= listeningOf(ev)));
      const logs = spawn('docker', ['logs', '-f', id], { stdio: ['ignore', 'pipe', 'pipe'] });
      logs.once('error', () => undefined);
      followers.push(logs);
      logs.stderr.on('data', (chunk: Buffer) => log.write(chunk));
      logs.stdout.on('data', (chunk: Buffer) => {
        log.write(chunk);
        scan(chunk);
      });
      const wait = spawn('docker', ['wait', id], { stdio: ['ignore', 'pipe', 'ignore'] });
      wait.once('error', () => undefined);
      followers.push(wait);
      exited = new Promise((resolve) => {
        let out = '';
        wait.stdout.on('data', (d: Buffer) => (out += d.toString()));
        wait.once('close', () => {
          const code = Number.parseInt(out.trim(), 10);
          if (Number.isInteger(code)) exit = { code, signal: null };
          resolve();
        });
      });

      const baseUrl = `http://127.0.0.1:${port}`;
      const coldStartMs = await awaitReady(
        { exited: () => exit, logTail: () => log.tail() },
        {
          what: `container ${id.slice(0, 12)} (${service})`,
          t0,
          timeoutMs: opts.readyTimeoutMs,
          ready: () => stackReady(stack.server.protocol, baseUrl),
          notReady: () =>
            `on port ${port}, ${listening ? 'listening, but not ready' : 'never reported a listening port'}`,
        },
      );
      const pid = Number(
        (await runToEnd(['docker', 'inspect', '--format', '{{.State.Pid}}', id], { timeoutMs: 15_000 })).stdout.trim(),
      );
      const stats = dockerStats(id);
      closers.push(stats.close);
      return {
        pid,
        host: '127.0.0.1',
        port,
        baseUrl,
        coldStartMs,
        modelLoadMs: listening?.loadMs,
        exited: () => exit,
        stop,
        logTail: () => log.tail(),
        sampleResources: stats.sampler,
      };
    } catch (e) {
      await stop();
      throw e;
    }
  };
}
