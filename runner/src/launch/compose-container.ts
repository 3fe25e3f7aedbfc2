// One running compose container, watched from the host: its output (`docker logs -f`) into a log sink
// and a JSON-event scanner, and its exit status (`docker wait`). What awaitReady needs of it.
import { spawn, type ChildProcess } from 'node:child_process';
import { eventLines, runToEnd, type Exit, type JsonEvent, type LogSink } from './child.js';

export interface FollowedContainer {
  id: string;
  exited(): Exit | undefined;
  logTail(): string;
  /** The first JSON event line of that name it printed (serve.py's "serving", a server's "listening"). */
  event(name: string): JsonEvent | undefined;
  /** Resolves once `docker wait` has reported (or failed). */
  done: Promise<void>;
  /** The host pid of its first process. */
  pid(): Promise<number>;
  /** Stops following (not the container). */
  close(): void;
}

/** Follows container `id`: its stdout and stderr into `log`, its JSON events, its exit. */
export function followContainer(id: string, log: LogSink): FollowedContainer {
  const followers: ChildProcess[] = [];
  const events: JsonEvent[] = [];
  let exit: Exit | undefined;
  const scan = eventLines((ev) => events.push(ev));
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
  const done = new Promise<void>((resolve) => {
    let out = '';
    wait.stdout.on('data', (d: Buffer) => (out += d.toString()));
    wait.once('close', () => {
      const code = Number.parseInt(out.trim(), 10);
      if (Number.isInteger(code)) exit = { code, signal: null };
      resolve();
    });
  });
  return {
    id,
    exited: () => exit,
    logTail: () => log.tail(),
    event: (name) => events.find((e) => e.event === name),
    done,
    pid: async () =>
      Number(
        (await runToEnd(['docker', 'inspect', '--format', '{{.State.Pid}}', id], { timeoutMs: 15_000 })).stdout.trim(),
      ),
    close: () => {
      for (const f of followers) f.kill('SIGKILL');
    },
  };
}
