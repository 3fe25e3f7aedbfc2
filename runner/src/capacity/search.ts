// The capacity search itself, free of I/O: bracket by growing or shrinking the rate until the
// outcome flips, then bisect until the bracket is narrow. `probe` does the measuring.
import type { StopReason } from './types.js';

export interface SearchBounds {
  startRate: number;
  minRate: number;
  maxRate: number;
  growth: number;
  /** Bracketing divides the rate by this while probes fail (default: growth). */
  shrink?: number;
  tolerance: number;
  maxProbes: number;
}

export interface TraceStep<T> {
  rate: number;
  phase: 'bracket' | 'bisect';
  outcome: T;
}

export interface SearchOutcome<T> {
  capacity: number | null;
  lo: number | null;
  hi: number | null;
  stop: StopReason;
  trace: TraceStep<T>[];
}

/** Three significant digits: probe rates stay readable and bisection terminates. */
export const roundRate = (x: number): number => Number(x.toPrecision(3));

/** True when the bracket is narrow enough to stop: (hi - lo) / hi <= tolerance. */
export const converged = (lo: number, hi: number, tolerance: number): boolean => (hi - lo) / hi <= tolerance;

export function checkBounds(b: SearchBounds): void {
  const bad = (m: string): never => {
    throw new Error(`invalid capacity search bounds: ${m}`);
  };
  if (!(b.minRate > 0) || !(b.maxRate >= b.minRate)) bad(`rates ${b.minRate}..${b.maxRate}`);
  if (!(b.growth > 1)) bad(`growth ${b.growth} (must be > 1)`);
  if (b.shrink !== undefined && !(b.shrink > 1)) bad(`shrink ${b.shrink} (must be > 1)`);
  if (!(b.tolerance > 0 && b.tolerance < 1)) bad(`tolerance ${b.tolerance}`);
  if (!(Number.isInteger(b.maxProbes) && b.maxProbes >= 1)) bad(`maxProbes ${b.maxProbes}`);
  if (!(b.startRate > 0)) bad(`startRate ${b.startRate}`);
}

/**
 * Highest passing rate. Bracketing: from startRate, multiply by growth while probes pass, divide by
 * shrink while they fail, until one passes and one fails (or a bound or the probe budget is hit). Then
 * bisect [lo, hi] until converged(). The trace lists every probe in order.
 */
export async function searchCapacity<T extends { pass: boolean }>(
  probe: (rate: number, phase: 'bracket' | 'bisect') => Promise<T>,
  b: SearchBounds,
): Promise<SearchOutcome<T>> {
  checkBounds(b);
  const trace: TraceStep<T>[] = [];
  let lo: number | null = null;
  let hi: number | null = null;
  let stop: StopReason | undefined;
  const clamp = (x: number) => Math.min(b.maxRate, Math.max(b.minRate, roundRate(x)));
  const run = async (rate: number, phase: 'bracket' | 'bisect'): Promise<boolean> => {
    const outcome = await probe(rate, phase);
    trace.push({ rate, phase, outcome });
    return outcome.pass;
  };

  let rate = clamp(b.startRate);
  for (;;) {
    if (trace.length >= b.maxProbes) {
      stop = 'max-probes';
      break;
    }
    if (await run(rate, 'bracket')) {
      lo = rate;
      if (hi !== null) break;
      if (rate >= b.maxRate) {
        stop = 'max-rate';
        break;
      }
      rate = clamp(rate * b.growth);
    } else {
      hi = rate;
      if (lo !== null) break;
      if (rate <= b.minRate) {
        stop = 'below-min-rate';
        break;
      }
      rate = clamp(rate / (b.shrink ?? b.growth));
    }
  }

  while (stop === undefined && lo !== null && hi !== null) {
    const mid = roundRate((lo + hi) / 2);
    if (converged(lo, hi, b.tolerance) || mid <= lo || mid >= hi) {
      stop = 'converged';
      break;
    }
    if (trace.length >= b.maxProbes) {
      stop = 'max-probes';
      break;
    }
    if (await run(mid, 'bisect')) lo = mid;
    else hi = mid;
  }
  return { capacity: lo, lo, hi, stop: stop ?? 'converged', trace };
}
