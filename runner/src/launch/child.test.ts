import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { awaitReady, eventLines, freePorts, groupMembers, spawnChild, stopGroup, type JsonEvent } from './child.js';
import { LaunchError } from './types.js';

const dir = mkdtempSync(join(tmpdir(), 'servebench-child-'));
const node = (script: string, log: string) =>
  spawnChild({ argv: [process.execPath, '-e', script], env: process.env, logFile: join(dir, log) });
/** Alive and not a zombie (an orphan's zombie can stay until init reaps it). */
const alive = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]$/.test(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0]!);
  } catch {
    return false;
  }
};
const firstLine = (c: ReturnType<typeof spawnChild>) =>
  new Promise<string>((r) => c.process.stdout!.once('data', (d: Buffer) => r(d.toString().split('\n')[0]!)));

describe('child processes', () => {
  it('stops the whole group: a grandchild that ignores SIGTERM is gone afterwards', async () => {
    // A stand-in server: prints its child's pid; the child ignores SIGTERM; the leader exits on SIGTERM.
    const grandchild = `process.on('SIGTERM', () => {}); setInterval(() => {}, 1000);`;
    const c = node(
      `const g = require('node:child_process').spawn(process.execPath, ['-e', ${JSON.stringify(grandchild)}], { stdio: 'ignore' });
       console.log(g.pid); setInterval(() => {}, 1000);`,
      'group.log',
    );
    const pid = Number(await firstLine(c));
    expect(alive(pid)).toBe(true);
    expect(groupMembers(c.pid).sort()).toEqual([c.pid, pid].sort());
    const exit = await stopGroup(c, 300);
    expect(exit.signal).toBe('SIGTERM');
    expect(alive(pid)).toBe(false);
    expect(groupMembers(c.pid)).toEqual([]);
  });

  it('stops what a leader that already exited left behind in its group', async () => {
    const c = node(
      `const g = require('node:child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
       console.log(g.pid); setTimeout(() => process.exit(0), 50);`,
      'orphan.log',
    );
    const pid = Number(await firstLine(c));
    await new Promise((r) => c.process.once('exit', r));
    expect(alive(pid)).toBe(true);
    expect(await stopGroup(c, 300)).toEqual({ code: 0, signal: null });
    expect(alive(pid)).toBe(false);
  });

  it('finds the listening line, also behind other output on the same line', async () => {
    const c = node(
      `process.stdout.write('boot\\nnoise {"event":"listening","url":"http://127.0.0.1:1","loadMs":7}\\n'); setInterval(() => {}, 1000);`,
      'listen.log',
    );
    await awaitReady(c, {
      what: 'stand-in',
      t0: performance.now(),
      timeoutMs: 10_000,
      ready: async () => !!c.listening(),
    });
    expect(c.listening()).toEqual({ url: 'http://127.0.0.1:1', loadMs: 7 });
    await stopGroup(c, 1000);
    expect(readFileSync(join(dir, 'listen.log'), 'utf8')).toContain('boot');
  });

  it('splits events across chunks and ignores lines that are not JSON', () => {
    const seen: JsonEvent[] = [];
    const scan = eventLines((e) => seen.push(e));
    scan('{"event":"a"}\n{"event":');
    scan('"b","n":1}\n{"event": broken\nplain\n');
    expect(seen).toEqual([{ event: 'a' }, { event: 'b', n: 1 }]);
  });

  it('reports exit 78 as unavailable (skipped) and any other early exit as a failure with the log tail', async () => {
    const run = async (code: number) => {
      const c = node(`console.error('last words ${code}'); process.exit(${code});`, `exit${code}.log`);
      return awaitReady(c, {
        what: 'stand-in',
        t0: performance.now(),
        timeoutMs: 10_000,
        ready: async () => false,
      }).catch((e: unknown) => e as LaunchError);
    };
    const skipped = await run(78);
    const failed = await run(3);
    expect(skipped).toBeInstanceOf(LaunchError);
    expect(skipped).toMatchObject({ unavailable: true, message: expect.stringContaining('last words 78') });
    expect(failed).toMatchObject({ unavailable: false, phase: 'spawn' });
    expect((failed as LaunchError).message).toMatch(/exited with 3 before it was ready[\s\S]*last words 3/);
  });

  it('survives a log file that fails (ENOSPC on /dev/full): the tail goes on and says why the file stopped', async () => {
    const c = spawnChild({
      argv: [
        process.execPath,
        '-e',
        `console.log('{"event":"listening","url":"http://127.0.0.1:2"}'); setInterval(() => console.log('more'), 20);`,
      ],
      env: process.env,
      logFile: '/dev/full',
    });
    await awaitReady(c, {
      what: 'stand-in',
      t0: performance.now(),
      timeoutMs: 10_000,
      ready: async () => c.logTail().includes('[log file: ENOSPC') && c.logTail().includes('more'),
    });
    expect(c.listening()?.url).toBe('http://127.0.0.1:2');
    expect(c.exited()).toBeUndefined();
    await stopGroup(c, 1000);
  });

  it('gives distinct free ports', async () => {
    const ports = await freePorts(4);
    expect(new Set(ports).size).toBe(4);
    for (const p of ports) expect(p).toBeGreaterThan(0);
  });
});
