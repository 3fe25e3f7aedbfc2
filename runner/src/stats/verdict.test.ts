import { describe, expect, it } from 'vitest';
import { pairedVerdict, rankByVerdict, tQuantile975, verdictText } from './verdict.js';

describe('paired verdicts', () => {
  it('computes the t interval of the log ratios by hand', () => {
    // log ratios ln(2), ln(2.2), ln(1.8): mean and sd by hand, t(2) = 4.303.
    const logs = [Math.log(2), Math.log(2.2), Math.log(1.8)];
    const mean = (logs[0]! + logs[1]! + logs[2]!) / 3;
    const sd = Math.sqrt(logs.reduce((s, x) => s + (x - mean) ** 2, 0) / 2);
    const v = pairedVerdict([200, 220, 180], [100, 100, 100])!;
    expect(v.n).toBe(3);
    expect(v.ratio).toBeCloseTo(Math.exp(mean), 12);
    expect(v.lo).toBeCloseTo(Math.exp(mean - (4.303 * sd) / Math.sqrt(3)), 12);
    expect(v.hi).toBeCloseTo(Math.exp(mean + (4.303 * sd) / Math.sqrt(3)), 12);
    expect(v.separable).toBe(true);
  });

  it('pairs by round, so a drift that hits both cancels', () => {
    // The machine halves its speed in round 2; b is 10% slower than a in every round.
    const a = [100, 50, 100, 50, 100];
    const b = a.map((x) => x / 1.1);
    const v = pairedVerdict(a, b)!;
    expect(v.ratio).toBeCloseTo(1.1, 10);
    expect(v.separable).toBe(true);
    // Unpaired, the same values overlap completely: only the pairing separates them.
    expect(Math.min(...a)).toBeLessThan(Math.max(...b));
  });

  it('calls a noisy difference not separable, and shows it as ≈', () => {
    const v = pairedVerdict([100, 95, 108], [98, 101, 100])!;
    expect(v.separable).toBe(false);
    expect(v.lo).toBeLessThan(1);
    expect(v.hi).toBeGreaterThan(1);
    expect(verdictText(v)).toMatch(/^≈ 1\.0\d \[0\.\d\d, 1\.\d\d\]$/);
  });

  it('skips rounds where either side was not measured, and needs two paired rounds', () => {
    expect(pairedVerdict([100, undefined, 120], [50, 60, undefined])).toBeUndefined();
    expect(pairedVerdict([100, 0, 120, 110], [50, 60, 61, 54])!.n).toBe(3);
    expect(verdictText(undefined)).toBe('n/a');
  });

  it('uses the normal quantile past 30 degrees of freedom', () => {
    expect(tQuantile975(2)).toBe(4.303);
    expect(tQuantile975(31)).toBe(1.96);
  });
});

describe('ranking by verdict', () => {
  const stacks = [
    { id: 'slow', r: [50, 40, 55] },
    { id: 'a', r: [100, 80, 110] },
    { id: 'b', r: [101, 79, 109] },
    { id: 'noisy', r: [70, 95, 60] },
  ];
  const ranked = rankByVerdict(
    stacks,
    (x) => x.r,
    (x) => [...x.r].sort((p, q) => p - q)[1]!,
  );

  it('orders by median and shares a rank among stacks no verdict separates', () => {
    expect(ranked.map((x) => x.item.id)).toEqual(['b', 'a', 'noisy', 'slow']);
    const rank = Object.fromEntries(ranked.map((x) => [x.item.id, x.rank]));
    expect(rank.a).toBe(1);
    expect(rank.b).toBe(1);
    // noisy cannot be told apart from a or b (its rounds cross theirs), so nothing is separably above it.
    expect(rank.noisy).toBe(1);
    // slow is separably under a and b.
    expect(rank.slow).toBe(3);
  });
});
