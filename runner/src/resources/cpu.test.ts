import { describe, expect, it } from 'vitest';
import { cellCpu, cpuShare, parseProcStat, startCpuMeter } from './cpu.js';

// A stand-in /proc/stat: user nice system idle iowait irq softirq steal guest guest_nice.
const stat = (cpu0: number[], cpu1: number[]) => {
  const all = cpu0.map((v, i) => v + cpu1[i]!);
  return parseProcStat(
    [`cpu  ${all.join(' ')}`, `cpu0 ${cpu0.join(' ')}`, `cpu1 ${cpu1.join(' ')}`, 'intr 1 2 3', 'ctxt 9'].join('\n'),
  );
};

describe('parseProcStat / cpuShare', () => {
  it('reads all and per-CPU lines and computes busy and steal shares per set', () => {
    const a = stat([100, 0, 0, 100, 0, 0, 0, 0, 0, 0], [100, 0, 0, 100, 0, 0, 0, 0, 0, 0]);
    // cpu0: 95 busy of 100 (5 of them stolen); cpu1: 20 busy, 80 idle (incl. 10 iowait).
    const b = stat([180, 5, 5, 105, 0, 0, 0, 5, 0, 0], [115, 0, 5, 170, 10, 0, 0, 0, 0, 0]);
    expect(a.get(0)).toEqual({ total: 200, idle: 100, steal: 0 });
    expect(cpuShare(a, b, [0])).toEqual({ busy: 0.95, steal: 0.05 });
    expect(cpuShare(a, b, [1]).busy).toBeCloseTo(0.2);
    expect(cpuShare(a, b).busy).toBeCloseTo(0.575);
    expect(cpuShare(a, b).steal).toBeCloseTo(0.025);
    expect(cpuShare(a, a)).toEqual({ busy: 0, steal: 0 });
  });
});

describe('cellCpu', () => {
  const a = stat([0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  const busy0 = stat([50, 0, 0, 50, 0, 0, 0, 0, 0, 0], [95, 0, 0, 5, 0, 0, 0, 0, 0, 0]);
  const usage = { before: { user: 0, system: 0 }, after: { user: 800_000, system: 100_000 } };

  it('sums user+system over the whole process and flags client-bound from the load set', () => {
    const c = cellCpu({ loadCpus: [1], cpuCount: 2 }, usage, { before: a, after: busy0 }, 1000);
    expect(c.loadCpuS).toBeCloseTo(0.9);
    expect(c.loadCpuShare).toBeCloseTo(0.9);
    expect(c.loadSetBusy).toBeCloseTo(0.95);
    expect(c.clientBound).toBe(true);
    expect(c.machineBusy).toBeCloseTo(0.725);
    expect(c.machineBound).toBe(false);
  });

  it('without placement uses the engine share of all CPUs, and flags machine-bound at 90% overall', () => {
    const full = stat([95, 0, 0, 5, 0, 0, 0, 0, 0, 0], [92, 0, 0, 8, 0, 0, 0, 0, 0, 0]);
    const c = cellCpu({ cpuCount: 2 }, usage, { before: a, after: full }, 1000);
    expect(c.loadSetBusy).toBeUndefined();
    expect(c.loadCpuShare).toBeCloseTo(0.45);
    expect(c.clientBound).toBe(false);
    expect(c.machineBound).toBe(true);
  });

  it('startCpuMeter sees this process burn CPU (any positive amount) on a stand-in /proc/stat', () => {
    let n = 0;
    const texts = ['cpu  1 0 0 1 0 0 0 0\ncpu0 1 0 0 1 0 0 0 0', 'cpu  3 0 0 2 0 0 0 1\ncpu0 3 0 0 2 0 0 0 1'];
    const meter = startCpuMeter({ loadCpus: [0], cpuCount: 1 }, () => texts[Math.min(n++, 1)]!);
    let x = 0;
    for (let i = 0; i < 2e6; i++) x += Math.sqrt(i);
    const c = meter.stop();
    expect(x).toBeGreaterThan(0);
    expect(c.loadCpuS).toBeGreaterThan(0);
    expect(c.loadSetBusy).toBeCloseTo(3 / 4);
    expect(c.steal).toBeCloseTo(1 / 4);
  });
});
