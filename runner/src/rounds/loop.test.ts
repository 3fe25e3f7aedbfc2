import { describe, expect, it } from 'vitest';
import type { LoadResult } from '../load/types.js';
import { PROFILES, type RunSettings } from '../profiles.js';
import type { Progress } from '../progress.js';
import type { CellResult } from '../results.js';
import { encodeHistogram, newHistogram } from '../stats/histogram.js';
import { roundOf } from './cell.js';
import { roundOrder, runRounds } from './loop.js';
import type { CellKey, Participant } from './participant.js';

const settings: RunSettings = { ...PROFILES.smoke!, rounds: 3, extraRounds: 2, roundTolerance: 0.1 };

function load(rps: number, latencyUs: number): LoadResult {
  const h = newHistogram();
  for (let i = 0; i < 100; i++) h.recordValue(latencyUs);
  const lat = { count: 100, min: 1, mean: 1, p50: 1, p90: 1, p95: 1, p99: 1, p999: 1, max: 1 };
  return {
    mode: 'closed',
    concurrency: 1,
    durationS: 1,
    successes: rps,
    errors: {},
    rps,
    latencyMs: lat,
    cdf: [],
    windows: [],
    serverTiming: {},
    clientElu: 0.1,
    threads: 1,
    histogram: encodeHistogram(h),
  };
}

/** A stand-in participant: answers each round with the next req/s from `script` and logs every call. */
class StandIn implements Participant {
  readonly cells: CellResult[] = [];
  readonly matrix: CellKey[];
  constructor(
    readonly id: string,
    private readonly script: (round: number) => number,
    private readonly log: string[],
    cells = 1,
    private readonly launchable = true,
  ) {
    this.matrix = Array.from({ length: cells }, (_, i) => ({ task: 'predict' as const, concurrency: i + 1 }));
  }
  active() {
    return this.launchable;
  }
  async begin() {
    return this.launchable;
  }
  async measure(k: CellKey, round: number) {
    this.log.push(`${round}:${this.id}:c${k.concurrency}`);
    // Latency in µs grows with the round, so the merged histogram holds every round.
    return roundOf(settings, round, `t${round}`, load(this.script(round), 1000 * (round + 1)));
  }
  async end() {}
  async close() {}
}

const progress = { note() {}, cell() {}, cellDone() {}, skipCells() {}, grow() {} } as unknown as Progress;
const run = (calibration: Participant[], participants: Participant[], s = settings) =>
  runRounds({ settings: s, calibration, participants, progress, save() {} });

describe('the round loop', () => {
  it('shuffles the order every round, the same way on every run, so no participant always follows the same one', () => {
    const ids = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    const orders = [0, 1, 2, 3, 4].map((r) => roundOrder(ids, r));
    for (const o of orders) expect([...o].sort()).toEqual(ids);
    expect(roundOrder(ids, 3)).toEqual(orders[3]);
    // The participant before 'd' changes from round to round.
    const before = orders.map((o) => o[o.indexOf('d') - 1] ?? '(first)');
    expect(new Set(before).size).toBeGreaterThan(2);
  });

  it('measures calibration first in every round, then the shuffled participants; stable cells stop at the base rounds', async () => {
    const log: string[] = [];
    const cal = new StandIn('cal', () => 100, log);
    const a = new StandIn('a', () => 1000, log);
    const b = new StandIn('b', () => 500, log);
    expect(await run([cal], [a, b])).toBe(3);
    const turns = [0, 1, 2].flatMap((r) => [`${r}:cal:c1`, ...roundOrder(['a', 'b'], r).map((id) => `${r}:${id}:c1`)]);
    expect(log).toEqual(turns);
    expect(a.cells[0]).toMatchObject({ status: 'ok', stability: { rounds: 3, median: 1000 } });
    // The merged histogram holds all three rounds (1, 2 and 3 ms).
    expect(a.cells[0]!.load.latencyMs.min).toBeCloseTo(1, 1);
    expect(a.cells[0]!.load.latencyMs.max).toBeCloseTo(3, 1);
    expect(a.cells[0]!.load.successes).toBe(3000);
  });

  it('gives an unstable cell extra rounds up to the cap (calibration too), then flags it with its spread', async () => {
    const log: string[] = [];
    const cal = new StandIn('cal', () => 100, log);
    const steady = new StandIn('steady', () => 1000, log);
    const noisy = new StandIn('noisy', (r) => [1000, 600, 1400, 500, 1500][r]!, log);
    expect(await run([cal], [steady, noisy])).toBe(5);
    expect(log.filter((l) => l.includes('steady'))).toHaveLength(3);
    expect(log.filter((l) => l.includes('noisy'))).toHaveLength(5);
    expect(log.filter((l) => l.includes('cal'))).toHaveLength(5);
    expect(noisy.cells[0]).toMatchObject({
      status: 'unstable',
      stability: { rounds: 5, min: 500, max: 1500, median: 1000 },
    });
    expect(noisy.cells[0]!.reason).toMatch(/rounds disagree/);
  });

  it('gives extra rounds only to cells of extraRoundTasks when the profile names them', async () => {
    const log: string[] = [];
    const noisy = new StandIn('noisy', (r) => [1000, 600, 1400, 500, 1500][r]!, log);
    expect(await run([], [noisy], { ...settings, extraRoundTasks: ['tokenize'] })).toBe(3);
    expect(log).toHaveLength(3);
    expect(noisy.cells[0]).toMatchObject({ status: 'unstable', stability: { rounds: 3 } });
  });

  it('stops extra rounds once enough rounds agree with the median', async () => {
    const log: string[] = [];
    const once = new StandIn('once', (r) => [1000, 1000, 700, 1010, 990][r]!, log);
    await run([], [once]);
    expect(log).toHaveLength(4);
    expect(once.cells[0]).toMatchObject({ status: 'ok', stability: { rounds: 4, within: 3, min: 700 } });
  });

  it('resumes: rounds already measured are kept and only the missing ones run', async () => {
    const log: string[] = [];
    const a = new StandIn('a', () => 1000, log, 2);
    await run([], [a], { ...settings, rounds: 1, extraRounds: 0 });
    const first = a.cells[0]!.rounds[0];
    log.length = 0;
    a.cells[1]!.rounds.length = 0; // as if interrupted before the second cell's first round
    a.cells.splice(1, 1);
    await run([], [a]);
    expect(log).toEqual(['0:a:c2', '1:a:c1', '1:a:c2', '2:a:c1', '2:a:c2']);
    expect(a.cells[0]!.rounds[0]).toBe(first);
  });

  it('skips a participant that cannot be launched', async () => {
    const log: string[] = [];
    await run([], [new StandIn('gone', () => 1, log, 1, false), new StandIn('ok', () => 1, log)]);
    expect(log).toEqual(['0:ok:c1', '1:ok:c1', '2:ok:c1']);
  });
});
