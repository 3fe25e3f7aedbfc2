// Real processes under taskset, read back from /proc. Needs util-linux's taskset and 2 CPUs.
import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { pinnedCommand, treeAffinity, type TreeAffinity } from './affinity.js';
import { availableCpus } from './cpus.js';

const cpus = availableCpus();
const live: ChildProcess[] = [];
afterEach(() => {
  for (const c of live.splice(0)) {
    try {
      process.kill(-c.pid!, 'SIGKILL');
    } catch {
      // gone
    }
  }
});

function start(cmd: string[]): ChildProcess {
  const c = spawn(cmd[0]!, cmd.slice(1), { stdio: 'ignore', detached: true });
  live.push(c);
  return c;
}

/** Polls /proc until the tree has `n` processes (a probe, not a sleep); returns the last read-back. */
async function waitTree(pid: number, expected: number[], n: number): Promise<TreeAffinity> {
  let t = treeAffinity([pid], expected);
  for (let i = 0; i < 200 && t.processes.length < n; i++) {
    await new Promise((r) => setTimeout(r, 25));
    t = treeAffinity([pid], expected);
  }
  return t;
}

describe('pinnedCommand', () => {
  it('wraps with taskset -c only when there is a set', () => {
    expect(pinnedCommand(['node', 'x.js'], [0, 2, 3])).toEqual(['taskset', '-c', '0,2-3', 'node', 'x.js']);
    expect(pinnedCommand(['node'], undefined)).toEqual(['node']);
  });
});

describe.skipIf(cpus.length < 2)('treeAffinity on real processes', () => {
  const [first, second] = [cpus[0]!, cpus[1]!];

  it('reads back a pinned tree: the root and the child it starts inherit the set', async () => {
    // sh (pinned by taskset before exec) starts a sleep child; both must be on `first` only.
    const root = start(pinnedCommand(['sh', '-c', 'sleep 30 & wait'], [first]));
    const t = await waitTree(root.pid!, [first], 2);
    expect(t.processes.map((p) => p.comm).sort()).toEqual(['sh', 'sleep']);
    expect(t.processes.every((p) => p.cpus === String(first))).toBe(true);
    expect(t.escaped).toEqual([]);
  });

  it('flags a child that re-pins itself to another CPU as escaped', async () => {
    // The child moves itself to `second` (taskset -p on its own pid), then sleeps.
    const root = start(
      pinnedCommand(['sh', '-c', `sh -c 'taskset -p -c ${second} $$ >/dev/null; exec sleep 30' & wait`], [first]),
    );
    let t = await waitTree(root.pid!, [first], 2);
    for (let i = 0; i < 200 && t.escaped.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 25));
      t = treeAffinity([root.pid!], [first]);
    }
    expect(t.escaped).toHaveLength(1);
    expect(t.escaped[0]!.cpus).toBe(String(second));
    expect(t.escaped[0]!.pid).not.toBe(root.pid);
    // The root itself stayed put.
    expect(t.processes.find((p) => p.pid === root.pid)?.cpus).toBe(String(first));
  });

  it('an unpinned tree escapes a one-CPU expectation (the check can fail)', async () => {
    const root = start(['sh', '-c', 'sleep 30 & wait']);
    const t = await waitTree(root.pid!, [first], 2);
    expect(t.escaped.length).toBe(t.processes.length);
  });
});
