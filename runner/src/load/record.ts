// Per-worker measurement state: what one thread saw, in a form that can be
// posted to the main thread and merged exactly (encoded HDR histograms).
import { encodeHistogram, newHistogram, type Histogram } from '../stats/histogram.js';
import { parseServerTiming } from '../stats/servertiming.js';
import type { OpenLoopStats } from './types.js';

export interface WorkerResult {
  successes: number;
  errors: Record<string, number>;
  /** Latency in µs. */
  hist: string;
  windows: Array<{ successes: number; hist: string }>;
  /** Server-Timing `dur` in ns, per metric name. */
  serverTiming: Record<string, string>;
  open?: OpenLoopStats;
  elu: number;
  measuredMs: number;
}

export class Recorder {
  successes = 0;
  errors: Record<string, number> = {};
  private readonly hist = newHistogram();
  private readonly windows: Array<{ successes: number; hist: Histogram }> = [];
  private readonly st = new Map<string, Histogram>();

  constructor(windowCount: number) {
    for (let i = 0; i < windowCount; i++) this.windows.push({ successes: 0, hist: newHistogram() });
  }

  get total(): number {
    let n = this.successes;
    for (const k in this.errors) n += this.errors[k]!;
    return n;
  }

  success(latencyMs: number, window: number, serverTiming: string | undefined): void {
    // Whole µs; clamp to 1 so a sub-µs reading still counts as a non-zero sample.
    const us = Math.max(1, Math.round(latencyMs * 1000));
    this.successes++;
    this.hist.recordValue(us);
    const w = this.windows[Math.min(Math.max(window, 0), this.windows.length - 1)];
    if (w) {
      w.successes++;
      w.hist.recordValue(us);
    }
    if (serverTiming) {
      for (const { name, dur } of parseServerTiming(serverTiming)) {
        let h = this.st.get(name);
        if (!h) this.st.set(name, (h = newHistogram()));
        h.recordValue(Math.round(dur * 1e6)); // ns keeps sub-µs server stages distinguishable
      }
    }
  }

  error(cls: string, n = 1): void {
    this.errors[cls] = (this.errors[cls] ?? 0) + n;
  }

  result(elu: number, measuredMs: number, open?: OpenLoopStats): WorkerResult {
    const serverTiming: Record<string, string> = {};
    for (const [k, h] of this.st) serverTiming[k] = encodeHistogram(h);
    return {
      successes: this.successes,
      errors: { ...this.errors },
      hist: encodeHistogram(this.hist),
      windows: this.windows.map((w) => ({ successes: w.successes, hist: encodeHistogram(w.hist) })),
      serverTiming,
      ...(open ? { open } : {}),
      elu,
      measuredMs,
    };
  }
}
