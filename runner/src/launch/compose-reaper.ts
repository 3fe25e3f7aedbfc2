// Compose projects are taken `down` whatever happens to the runner: on exit and Ctrl-C (an exit
// hook), and when it is SIGKILLed (a detached reaper that waits for the runner's pipe to close).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';

/** Projects that are up, for the exit hook. */
const live = new Map<string, { cmd: string[]; env: NodeJS.ProcessEnv; reaper?: ChildProcess }>();
let hooked = false;

function composeDownSync(cmd: string[], env: NodeJS.ProcessEnv): void {
  spawnSync(cmd[0]!, [...cmd.slice(1), 'down', '-t', '5'], { env, stdio: 'ignore', timeout: 60_000 });
}

/** On any exit (Ctrl-C included) take every live project down before the runner goes. */
function installExitHook(): void {
  if (hooked) return;
  hooked = true;
  process.once('exit', () => {
    for (const p of live.values()) {
      composeDownSync(p.cmd, p.env);
      p.reaper?.kill('SIGKILL');
    }
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      if (live.size) process.stderr.write(`\nservebench: ${sig}, taking ${live.size} compose project(s) down\n`);
      process.exit(130);
    });
  }
}

/**
 * Takes the project down once the runner is gone even if it was SIGKILLed: a detached shell waits
 * for its stdin (a pipe from the runner) to close. Killed by stop() on the normal path.
 */
function startReaper(cmd: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const reaper = spawn(
    'sh',
    ['-c', 'cat >/dev/null; exec "$@"', 'servebench-compose-reaper', ...cmd, 'down', '-t', '5'],
    {
      env,
      detached: true,
      stdio: ['pipe', 'ignore', 'ignore'],
    },
  );
  reaper.once('error', () => undefined);
  reaper.unref();
  (reaper.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  return reaper;
}

/**
 * Marks a project as up: taken down by the exit hook and by a reaper if the runner dies.
 * Returns the release to call once the project has been taken down on the normal path.
 */
export function guardProject(project: string, cmd: string[], env: NodeJS.ProcessEnv): () => void {
  installExitHook();
  live.set(project, { cmd, env, reaper: startReaper(cmd, env) });
  return () => {
    live.get(project)?.reaper?.kill('SIGKILL');
    live.delete(project);
  };
}
