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
 * The search as steps, free of time: yields the next rate to probe and takes whether it passed. Bracketing: from
 * startRate, multiply by growth while probes pass, divide by shrink while they fail, until one passes and one fails
 * (or a bound or the probe budget is hit). Then bisect [lo, hi] until converged(). Returns the outcome. A caller can
 * so run many searches side by side, one probe of each in turn (the interleaved capacity stage).
 */
export function* searchSteps(
  b: SearchBounds,
): Generator<{ rate: number; phase: 'bracket' | 'bisect' }, Outcome, boolean> {
  checkBounds(b);
  let probes = 0;
  let lo: number | null = null;
  let hi: number | null = null;
  let stop: StopReason | undefined;
  const clamp = (x: number) => Math.min(b.maxRate, Math.max(b.minRate, roundRate(x)));

  let rate = clamp(b.startRate);
  for (;;) {
    if (probes >= b.maxProbes) {
      stop = 'max-probes';
      break;
    }
    probes++;
    if (yield { rate, phase: 'bracket' }) {
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
    if (probes >= b.maxProbes) {
      stop = 'max-probes';
      break;
    }
    probes++;
    if (yield { rate: mid, phase: 'bisect' }) lo = mid;
    else hi = mid;
  }
  return { capacity: lo, lo, hi, stop: stop ?? 'converged' };
}

type Outcome = Omit<SearchOutcome<never>, 'trace'>;

/** Highest passing rate: searchSteps driven by `probe`, one probe at a time. The trace lists every probe in order. */
export async function searchCapacity<T extends { pass: boolean }>(
  probe: (rate: number, phase: 'bracket' | 'bisect') => Promise<T>,
  b: SearchBounds,
): Promise<SearchOutcome<T>> {
  const trace: TraceStep<T>[] = [];
  const steps = searchSteps(b);
  for (let step = steps.next(); ;) {
    if (step.done) return { ...step.value, trace };
    const outcome = await probe(step.value.rate, step.value.phase);
    trace.push({ ...step.value, outcome });
    step = steps.next(outcome.pass);
  }
}
