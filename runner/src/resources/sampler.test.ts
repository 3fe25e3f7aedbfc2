import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseStat, processTree, type ProcStat } from './proc.js';
import { sliceSeries, startSampler, summarizeSeries } from './sampler.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('parseStat', () => {
  it('handles comm with spaces and parentheses', () => {
    const text =
      '4242 (node (worker) x) S 17 4242 17 0 -1 4194304 98 0 0 0 150 25 0 0 20 0 11 0 58111 3133440 3000 18446744073709551615 0';
    expect(parseStat(text)).toEqual({ pid: 4242, ppid: 17, cpuTicks: 175, startTicks: 58111, rssPages: 3000 });
    expect(parseStat('garbage')).toBeUndefined();
  });
});

describe('processTree', () => {
  it('collects every descendant of the root, not siblings', () => {
    const p = (pid: number, ppid: number): ProcStat => ({ pid, ppid, cpuTicks: 0, startTicks: 0, rssPages: 0 });
    const all = [p(1, 0), p(10, 1), p(11, 10), p(12, 11), p(13, 10), p(20, 1)];
    expect(
      processTree(10, all)
        .map((s) => s.pid)
        .sort(),
    ).toEqual([10, 11, 12, 13]);
    expect(processTree(99, all)).toEqual([]);
  });
});

describe('startSampler', () => {
  it("sees a (grand)child process's CPU when it spins, and its RSS", async () => {
    // sh -> node spinning ~1.2 s: the spinner is a grandchild of the root.
    const child = spawn(
      'sh',
      ['-c', `"${process.execPath}" -e "const e=Date.now()+1200; while(Date.now()<e){}"; true`],
      { stdio: 'ignore' },
    );
    try {
      await sleep(100);
      const sampler = startSampler(child.pid!, 100);
      await sleep(800);
      expect(sampler.elapsedS()).toBeGreaterThan(0.7);
      const series = sampler.stop();
      expect(series.samples.length).toBeGreaterThanOrEqual(5);
      expect(Math.max(...series.samples.map((s) => s.procs))).toBe(2);
      // A spinning process uses up to 100% of a core, but a shared 2-core machine running other
      // tests may give it far less; an idle tree reads ~0, so any clear share proves it is seen.
      expect(Math.max(...series.samples.map((s) => s.cpuPct))).toBeGreaterThan(10);
      expect(series.meanCpuPct).toBeGreaterThan(5);
      expect(series.peakRssMb).toBeGreaterThan(10); // node itself is tens of MB
      expect(sampler.stop()).toBe(series); // idempotent
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('reports nothing for a pid that does not exist', () => {
    const series = startSampler(2 ** 22 + 7, 50).stop();
    expect(series.samples.every((s) => s.procs === 0 && s.cpuPct === 0)).toBe(true);
    expect(series).toMatchObject({ peakRssMb: 0, meanCpuPct: 0 });
  });
});

describe('sliceSeries', () => {
  it('restricts to samples ending inside (fromS, toS] and recomputes stats', () => {
    const s = summarizeSeries([
      { tS: 0.25, cpuPct: 10, rssMb: 100, procs: 1 },
      { tS: 0.5, cpuPct: 50, rssMb: 300, procs: 2 },
      { tS: 0.75, cpuPct: 70, rssMb: 200, procs: 2 },
      { tS: 1.0, cpuPct: 5, rssMb: 400, procs: 1 },
    ]);
    expect(s.peakRssMb).toBe(400);
    const cell = sliceSeries(s, 0.25, 0.75);
    expect(cell.samples.map((x) => x.tS)).toEqual([0.5, 0.75]);
    expect(cell.meanCpuPct).toBe(60);
    expect(cell.peakRssMb).toBe(300);
  });
});
