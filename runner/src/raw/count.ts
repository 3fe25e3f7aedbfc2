// Counting a ceiling the way the load engine counts a cell: a call counts when it COMPLETES inside
// the measured interval [measStart, measEnd), into the window it completed in, whenever it started.

export interface CountedRun {
  /** Completed calls x batch size inside the interval. */
  completed: number;
  durationS: number;
  rps: number;
  /** req/s of each window (the last one takes the remainder of the interval: divided by its own length). */
  windows: number[];
  /** Mean time of one call (ms) over the calls that completed inside the interval. */
  meanCallMs: number;
}

export class CompletionCounter {
  private readonly counts: number[];
  private calls = 0;
  private callMs = 0;

  constructor(
    readonly measStart: number,
    readonly measEnd: number,
    readonly windowMs: number,
    /** Requests one call stands for (its batch size). */
    readonly perCall = 1,
  ) {
    // Rounded, not ceil: measEnd - measStart carries float error (t0 + w + d - (t0 + w) is not exactly d),
    // and ceil then made a trailing window a fraction of a nanosecond long.
    this.counts = new Array<number>(Math.max(1, Math.round((measEnd - measStart) / windowMs))).fill(0);
  }

  /** One call that started at `startedAt` and completed at `doneAt` (same clock as measStart). */
  record(startedAt: number, doneAt: number): void {
    if (doneAt < this.measStart || doneAt >= this.measEnd) return;
    this.counts[Math.min(this.counts.length - 1, Math.floor((doneAt - this.measStart) / this.windowMs))]! +=
      this.perCall;
    this.calls++;
    this.callMs += doneAt - startedAt;
  }

  result(): CountedRun {
    const durationMs = this.measEnd - this.measStart;
    const completed = this.counts.reduce((a, b) => a + b, 0);
    return {
      completed,
      durationS: durationMs / 1000,
      rps: durationMs > 0 ? completed / (durationMs / 1000) : 0,
      windows: this.counts.map((n, w) => {
        const len = w === this.counts.length - 1 ? durationMs - w * this.windowMs : this.windowMs;
        return len > 0 ? n / (len / 1000) : 0;
      }),
      meanCallMs: this.calls ? this.callMs / this.calls : 0,
    };
  }
}

/** A ceiling measured over rounds: its median and min-max. */
export interface CeilingRange {
  median: number;
  min: number;
  max: number;
}

/**
 * A stack's req/s above its runtime's ceiling by more than the ceiling's own spread is a measurement
 * error (flag `above-ceiling`): the model cannot be called faster through a server than bare.
 */
export function aboveCeiling(stackRps: number, ceiling: CeilingRange): boolean {
  if (!(ceiling.median > 0)) return false;
  const spread = (ceiling.max - ceiling.min) / ceiling.median;
  return stackRps > ceiling.median * (1 + spread);
}

export function rangeOf(xs: readonly number[]): CeilingRange {
  const s = [...xs].sort((a, b) => a - b);
  if (!s.length) return { median: 0, min: 0, max: 0 };
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { median, min: s[0]!, max: s[s.length - 1]! };
}
