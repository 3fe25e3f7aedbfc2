// Test helpers shared by the Python server workspaces' vitest suites: start a server the way the
// runner does (the workspace's "servebench.start" command, cwd = workspace, PORT=0), read its
// listening line, and stop its whole process group.
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const COMMON_DIR = fileURLToPath(new URL('..', import.meta.url));

export interface ListeningEvent {
  event: 'listening';
  pid: number;
  server: string;
  url: string;
  workers: number;
  loadMs: number;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface PythonServer {
  baseUrl: string;
  listening: ListeningEvent;
  pid: number;
  stderr(): string;
  /** Sends `signal` to the process group (as the runner does) and waits for the exit; SIGKILL after graceMs. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<Exit>;
}

/** Why the build decided this stack cannot run here (python3 missing), or undefined. */
export function pythonUnavailable(workspace: string): string | undefined {
  const file = join(workspace, '.venv', 'UNAVAILABLE');
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
}

const live = new Set<number>();
process.once('exit', () => {
  for (const pid of live) killGroup(pid, 'SIGKILL');
});

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

function startCommand(workspace: string): [string, string[]] {
  const pkg = JSON.parse(readFileSync(join(workspace, 'package.json'), 'utf8')) as { servebench: { start: string[] } };
  const [cmd, ...args] = pkg.servebench.start;
  return [cmd!, args];
}

/** Starts the workspace's server on 127.0.0.1:0 with the tiny model (plus `env`) and resolves once it prints its listening line. */
export function startPythonServer(
  workspace: string,
  env: Record<string, string> = {},
  timeoutMs = 90_000,
): Promise<PythonServer> {
  const [cmd, args] = startCommand(workspace);
  const child = spawn(cmd, args, {
    cwd: workspace,
    env: { ...process.env, MODEL: 'tiny', WORKERS: '1', ...env, HOST: '127.0.0.1', PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const pid = child.pid!;
  live.add(pid);
  let stderr = '';
  let stdout = '';
  let exit: Exit | undefined;
  const exited = new Promise<Exit>((resolve) =>
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      live.delete(pid);
      killGroup(pid, 'SIGKILL'); // stray workers, if any
      resolve(exit);
    }),
  );
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));

  const stop = async (signal: NodeJS.Signals = 'SIGTERM', graceMs = 20_000): Promise<Exit> => {
    if (exit) return exit;
    killGroup(pid, signal);
    const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), graceMs);
    const result = await exited;
    clearTimeout(timer);
    return result;
  };

  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      void stop('SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')}: ${why}\n--- stderr ---\n${stderr.slice(-3000)}`));
    };
    const timer = setTimeout(() => fail(`no listening line within ${timeoutMs} ms`), timeoutMs);
    child.once('error', (e) => fail(e.message));
    void exited.then((e) => fail(`exited with ${e.code ?? e.signal} before listening`));
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      const lines = stdout.split('\n');
      stdout = lines.pop()!;
      for (const line of lines) {
        if (!line.startsWith('{')) continue;
        const ev = JSON.parse(line) as Partial<ListeningEvent>;
        if (ev.event !== 'listening' || !ev.url) continue;
        clearTimeout(timer);
        settled = true;
        child.stdout!.removeAllListeners('data');
        child.stdout!.resume();
        resolve({ baseUrl: ev.url, listening: ev as ListeningEvent, pid, stderr: () => stderr, stop });
        return;
      }
    });
  });
}

/** Runs the shared Python unit tests (servers/python-common/tests) with this workspace's venv. */
export function runPythonUnitTests(workspace: string): SpawnSyncReturns<string> {
  return spawnSync(
    join(workspace, '.venv', 'bin', 'python'),
    ['-m', 'unittest', 'discover', '-s', join(COMMON_DIR, 'tests'), '-t', COMMON_DIR],
    {
      cwd: workspace,
      env: { ...process.env, PYTHONPATH: join(COMMON_DIR, 'src') },
      encoding: 'utf8',
      timeout: 120_000,
    },
  );
}

/** The pids of a process's direct children, from /proc. */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  const tasks = `/proc/${pid}/task`;
  if (!existsSync(tasks)) return out;
  for (const tid of readdirSync(tasks)) {
    const file = `${tasks}/${tid}/children`;
    if (existsSync(file)) out.push(...readFileSync(file, 'utf8').split(' ').filter(Boolean).map(Number));
  }
  return out;
}
