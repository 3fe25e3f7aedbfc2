import { describe, expect, it } from 'vitest';
import { DEFAULT_PRICE_PER_CORE_HOUR, cellCost } from './cost.js';

describe('cellCost', () => {
  it('turns mean CPU, duration and successes into CPU-seconds per 1k and USD per million', () => {
    // 150% CPU for 10 s = 15 CPU-s for 3,000 requests -> 5 CPU-s per 1k -> 5,000 CPU-s per 1M
    // = 1.3889 core-hours -> at $0.036/core-hour = $0.05.
    const c = cellCost(150, 10, 3000, 0.036)!;
    expect(c.cpuSecondsPer1k).toBeCloseTo(5);
    expect(c.usdPerMillion).toBeCloseTo(0.05);
  });
  it('scales linearly with price and inversely with successes', () => {
    const a = cellCost(100, 5, 1000, DEFAULT_PRICE_PER_CORE_HOUR)!;
    const b = cellCost(100, 5, 2000, DEFAULT_PRICE_PER_CORE_HOUR * 3)!;
    expect(b.cpuSecondsPer1k).toBeCloseTo(a.cpuSecondsPer1k / 2);
    expect(b.usdPerMillion).toBeCloseTo((a.usdPerMillion * 3) / 2);
  });
  it('has no cost for a cell without successes', () => {
    expect(cellCost(100, 5, 0, 1)).toBeUndefined();
    expect(cellCost(Number.NaN, 5, 10, 1)).toBeUndefined();
  });
});
