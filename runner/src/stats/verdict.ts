// Verdicts: a ratio between two participants with a 95% interval, paired per round. Both are measured in the same
// interleaved round, so what the machine did during that round hits both; the per-round log ratios carry what is
// left, and a Student t interval over them says how far the ratio can be trusted (benchstat shows `~` for a
// difference it cannot support; we show `≈`).

/** Two-sided 95% Student t quantiles by degrees of freedom (1..30); above 30 the normal 1.96 is close enough. */
const T975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11,
  2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];
export const tQuantile975 = (df: number): number => (df < 1 ? Number.NaN : (T975[df - 1] ?? 1.96));

export const VERDICT_METHOD = 'paired per round: Student t 95% interval on the per-round log ratios';

export interface Verdict {
  /** Geometric mean of the per-round ratios a/b. */
  ratio: number;
  /** 95% interval of the ratio. */
  lo: number;
  hi: number;
  /** Rounds in which both were measured. */
  n: number;
  /** The interval excludes 1: a and b can be told apart. */
  separable: boolean;
}

/**
 * a/b from values indexed by round (undefined or <= 0: not measured that round). Undefined with fewer than two
 * paired rounds: one round has no spread, so it supports no verdict.
 */
export function pairedVerdict(
  a: ReadonlyArray<number | undefined>,
  b: ReadonlyArray<number | undefined>,
): Verdict | undefined {
  const logs: number[] = [];
  for (let r = 0; r < Math.min(a.length, b.length); r++) {
    const [x, y] = [a[r], b[r]];
    if (x !== undefined && y !== undefined && x > 0 && y > 0) logs.push(Math.log(x / y));
  }
  const n = logs.length;
  if (n < 2) return undefined;
  const mean = logs.reduce((s, x) => s + x, 0) / n;
  const sd = Math.sqrt(logs.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1));
  const half = (tQuantile975(n - 1) * sd) / Math.sqrt(n);
  const [lo, hi] = [Math.exp(mean - half), Math.exp(mean + half)];
  return { ratio: Math.exp(mean), lo, hi, n, separable: lo > 1 || hi < 1 };
}

const fmt = (x: number) => x.toFixed(x >= 10 ? 1 : 2);

/** "1.52× [1.40, 1.65]" when separable, "≈ 1.04 [0.97, 1.12]" when not, "n/a" without a verdict. */
export function verdictText(v: Verdict | undefined): string {
  if (!v) return 'n/a';
  const interval = `[${fmt(v.lo)}, ${fmt(v.hi)}]`;
  return v.separable ? `${fmt(v.ratio)}× ${interval}` : `≈ ${fmt(v.ratio)} ${interval}`;
}

export interface Ranked<T> {
  item: T;
  /** 1 + the number of others that are separably better: stacks no verdict can separate share a rank. */
  rank: number;
}

/**
 * Orders items by their median value (highest first) and ranks them by verdict: an item's rank is one more than
 * the number of items whose verdict against it is separable and above 1. Two items that no verdict tells apart
 * from the same set of better ones share a rank, so a reader never sees an order the run cannot support.
 */
export function rankByVerdict<T>(
  items: readonly T[],
  byRound: (x: T) => ReadonlyArray<number | undefined>,
  median: (x: T) => number,
): Ranked<T>[] {
  const sorted = [...items].sort((x, y) => median(y) - median(x));
  return sorted.map((item) => ({
    item,
    rank:
      1 +
      sorted.filter((other) => {
        if (other === item) return false;
        const v = pairedVerdict(byRound(other), byRound(item));
        return v !== undefined && v.separable && v.ratio > 1;
      }).length,
  }));
}
