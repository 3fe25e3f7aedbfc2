// Across-round statistics of one cell: the published req/s is the median of its rounds, the spread is
// their min-max, and the cell is stable when enough rounds agree with that median. Pure functions.

export interface RoundVerdict {
  stable: boolean;
  /** Rounds measured. */
  rounds: number;
  /** Rounds within ±threshold of the median. */
  within: number;
  /** Rounds that must lie within ±threshold of the median (the profile's base round count). */
  required: number;
  median: number;
  min: number;
  max: number;
  /** (max - min) / median; Infinity when the median is 0. */
  spread: number;
  threshold: number;
}

export function median(xs: readonly number[]): number {
  if (!xs.length) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Index of the round whose value is the median (the lower middle one for an even count). */
export function medianIndex(xs: readonly number[]): number {
  if (!xs.length) return -1;
  const order = xs.map((x, i) => [x, i] as const).sort((a, b) => a[0] - b[0]);
  return order[(order.length - 1) >> 1]![1];
}

/**
 * Stable when at least `required` rounds (all of them while fewer were measured) lie within ±threshold of
 * the median of all rounds. Extra rounds of an unstable cell can outvote one disturbed round, never hide it:
 * min and max always span every round.
 */
export function assessRounds(rps: readonly number[], required: number, threshold: number): RoundVerdict {
  const med = median(rps);
  const min = rps.length ? Math.min(...rps) : 0;
  const max = rps.length ? Math.max(...rps) : 0;
  const within = rps.filter((r) => med > 0 && Math.abs(r - med) <= threshold * med * (1 + 1e-12)).length;
  const need = Math.min(required, rps.length);
  return {
    stable: rps.length > 0 && med > 0 && within >= need,
    rounds: rps.length,
    within,
    required,
    median: med,
    min,
    max,
    spread: med > 0 ? (max - min) / med : Infinity,
    threshold,
  };
}

/** Do two [min, max] spreads overlap (touching counts as overlapping)? */
export const spreadsOverlap = (a: { min: number; max: number }, b: { min: number; max: number }): boolean =>
  a.min <= b.max && b.min <= a.max;

/** Does a cell need round `round` (0-based)? Base rounds always; extra rounds only while unstable, up to `cap`. */
export function needsRound(measured: readonly number[], round: number, base: number, cap: number, tol: number) {
  if (measured.length > round) return false;
  if (round < base) return true;
  return round < cap && !assessRounds(measured, base, tol).stable;
}
