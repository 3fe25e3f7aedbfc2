// placeLaunches over a stand-in launcher that starts a real `sh` tree (through the LaunchOptions.cpus
// the real launchers honour): read back when it stays, failed and stopped when a child escapes.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { StackSpec } from '../discover.js';
import type { LaunchedStack, Launcher } from '../launch/types.js';
import { pinnedCommand } from './affinity.js';
import { availableCpus } from './cpus.js';
import { placeLaunches, placementOf } from './apply.js';

const cpus = availableCpus();
const stack = { id: 'standin+sh' } as StackSpec;

/** A stand-in launcher: runs `script` under the requested CPUs and reports ready once its tree has 2 processes. */
function standinLauncher(script: string): { launcher: Launcher; stopped: () => boolean } {
  let stopped = false;
  const launcher: Launcher = async (_stack, opts) => {
    const [cmd, ...args] = pinnedCommand(['sh', '-c', script], opts.cpus);
    const child = spawn(cmd!, args, { stdio: 'ignore', detached: true });
    // Ready probe: the child's child exists (and has re-pinned itself if the script does that).
    for (let i = 0; i < 200; i++) {
      const { execFileSync } = await import('node:child_process');
      const kids = execFileSync('sh', ['-c', `pgrep -P ${child.pid} || true`], { encoding: 'utf8' }).trim();
      if (kids) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    await new Promise((r) => setTimeout(r, 100)); // let a re-pinning script finish its taskset call
    const server: LaunchedStack = {
      pid: child.pid!,
      host: '127.0.0.1',
      port: 0,
      baseUrl: 'http://127.0.0.1:0',
      coldStartMs: 0,
      modelLoadMs: undefined,
      exited: () => undefined,
      logTail: () => '',
      stop: async () => {
        stopped = true;
        process.kill(-child.pid!, 'SIGKILL');
        return { code: null, signal: 'SIGKILL' };
      },
    };
    return server;
  };
  return { launcher, stopped: () => stopped };
}

describe.skipIf(cpus.length < 2)('placeLaunches', () => {
  const p = { server: [cpus[0]!], load: [cpus[1]!], source: 'flag' as const };

  it('launches on the server set and records every process read back', async () => {
    const s = standinLauncher('sleep 30 & wait');
    const server = await placeLaunches(p, 'process')(s.launcher)(stack, { env: {}, readyTimeoutMs: 1, logFile: '' });
    try {
      const rec = placementOf(server)!;
      expect(rec).toMatchObject({ applied: true, server: String(cpus[0]), load: String(cpus[1]) });
      expect(rec.processes!.length).toBeGreaterThanOrEqual(2);
      expect(rec.processes!.every((x) => x.cpus === String(cpus[0]))).toBe(true);
    } finally {
      await server.stop();
    }
  });

  it('fails and stops a stack whose child moved itself to another CPU', async () => {
    const s = standinLauncher(`sh -c 'taskset -p -c ${cpus[1]} $$ >/dev/null; exec sleep 30' & wait`);
    await expect(
      placeLaunches(p, 'process')(s.launcher)(stack, { env: {}, readyTimeoutMs: 1, logFile: '' }),
    ).rejects.toThrow(/placement escaped: sleep \(pid \d+\) allowed on \d+; expected only \d+/);
    expect(s.stopped()).toBe(true);
  });

  it('records --cpus none as not applied', async () => {
    const s = standinLauncher('sleep 30 & wait');
    const server = await placeLaunches(null, 'process')(s.launcher)(stack, { env: {}, readyTimeoutMs: 1, logFile: '' });
    expect(placementOf(server)).toEqual({ applied: false, reason: '--cpus none' });
    await server.stop();
  });
});
