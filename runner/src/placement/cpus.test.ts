import { describe, expect, it } from 'vitest';
import {
  PlacementError,
  defaultPlacement,
  formatCpuList,
  parseAllowedList,
  parseCpuList,
  parseCpusFlag,
  runtimeThreads,
} from './cpus.js';

describe('parseCpuList / formatCpuList', () => {
  it('expands ranges and singles, sorted and unique, and folds them back', () => {
    expect(parseCpuList('4-6,0,2,5')).toEqual([0, 2, 4, 5, 6]);
    expect(formatCpuList([6, 0, 2, 4, 5])).toBe('0,2,4-6');
    expect(formatCpuList(parseCpuList('0-3,8-11'))).toBe('0-3,8-11');
  });
  it('rejects junk and backwards ranges with a usage code', () => {
    for (const bad of ['', 'a', '3-1', '1-', '-1', '0,,1']) {
      expect(() => parseCpuList(bad)).toThrow(PlacementError);
    }
  });
});

describe('defaultPlacement', () => {
  it('gives 2 CPUs as server=0, load=1', () => {
    expect(defaultPlacement([0, 1])).toEqual({ server: [0], load: [1], source: 'default' });
  });
  it('gives the first half (rounded up) to the server on larger and odd machines', () => {
    expect(defaultPlacement([0, 1, 2, 3, 4, 5, 6, 7])).toMatchObject({ server: [0, 1, 2, 3], load: [4, 5, 6, 7] });
    expect(defaultPlacement([2, 3, 5])).toMatchObject({ server: [2, 3], load: [5] });
  });
  it('refuses one CPU (no disjoint sets) and says to pass --cpus none', () => {
    expect(() => defaultPlacement([0])).toThrow(/--cpus none/);
  });
});

describe('parseCpusFlag', () => {
  const all = [0, 1, 2, 3, 4, 5, 6, 7];
  it('defaults when absent and turns placement off with none', () => {
    expect(parseCpusFlag(undefined, [0, 1])).toMatchObject({ server: [0], load: [1] });
    expect(parseCpusFlag('none', all)).toBeNull();
  });
  it('parses lists containing commas, in either order', () => {
    expect(parseCpusFlag('server=0-2,5,load=3,4', all)).toEqual({
      server: [0, 1, 2, 5],
      load: [3, 4],
      source: 'flag',
    });
    expect(parseCpusFlag('load=7,server=0-1', all)).toMatchObject({ server: [0, 1], load: [7] });
  });
  it('rejects overlapping sets, unknown CPUs, a missing side and repeats', () => {
    expect(() => parseCpusFlag('server=0-2,load=2-3', all)).toThrow(/CPU 2 is in both sets/);
    expect(() => parseCpusFlag('server=0,load=9', all)).toThrow(/CPU 9 is not available/);
    expect(() => parseCpusFlag('server=0', all)).toThrow(/expected server=/);
    expect(() => parseCpusFlag('server=0,server=1,load=2', all)).toThrow(/given twice/);
    expect(() => parseCpusFlag('cores=0', all)).toThrow(PlacementError);
  });
});

describe('parseAllowedList', () => {
  it('reads Cpus_allowed_list out of a status file', () => {
    expect(parseAllowedList('Name:\tnode\nCpus_allowed:\t5\nCpus_allowed_list:\t0,2-3\nMems_allowed:\t1\n')).toEqual([
      0, 2, 3,
    ]);
    expect(parseAllowedList('Name:\tnode\n')).toBeUndefined();
  });
});

describe('runtimeThreads', () => {
  it('follows the server set unless a flag overrides it', () => {
    const p = { server: [0, 1, 2], load: [3], source: 'flag' as const };
    expect(runtimeThreads(p, undefined, 1)).toBe(3);
    expect(runtimeThreads(p, 2, 1)).toBe(2);
    expect(runtimeThreads(null, undefined, 1)).toBe(1);
  });
});
