// Samples CPU% and RSS of a process tree over time. Measurement only: the
// series is plain JSON and slicing/aggregation are pure functions below.
import { performance } from 'node:perf_hooks';
import { allStats, processTree, sysconf, type ProcStat } from './proc.js';

export interface ResourceSample {
  /** Seconds since the sampler started. */
  tS: number;
  /** Summed over the tree; 100 = one core busy. */
  cpuPct: number;
  rssMb: number;
  procs: number;
}

export interface ResourceSeries {
  samples: ResourceSample[];
  peakRssMb: number;
  meanCpuPct: number;
}

export interface Sampler {
  /** Wall-clock epoch (ms, performance.timeOrigin-based) of tS = 0. */
  readonly startEpochMs: number;
  /** Seconds since start on the sampler's clock (to align measurement cells with tS). */
  elapsedS(): number;
  /** Take a last sample, stop the timer and return the series. */
  stop(): ResourceSeries;
}

const MB = 1024 * 1024;

export function startSampler(rootPid: number, intervalMs = 250): Sampler {
  const { clkTck, pageSize } = sysconf();
  const t0 = performance.now();
  const samples: ResourceSample[] = [];
  // Previous CPU ticks by "pid:starttime" so a reused pid is not mistaken for the old process.
  let prev = new Map<string, number>();
  let prevT = t0;
  let first = true;

  const key = (s: ProcStat): string => `${s.pid}:${s.startTicks}`;

  const sample = (): void => {
    const now = performance.now();
    const tree = processTree(rootPid, allStats());
    const next = new Map<string, number>();
    let ticks = 0;
    let rssPages = 0;
    for (const s of tree) {
      const k = key(s);
      next.set(k, s.cpuTicks);
      const before = prev.get(k);
      // A process born since the last tick: all of its CPU time falls in this interval.
      ticks += before === undefined ? (first ? 0 : s.cpuTicks) : Math.max(0, s.cpuTicks - before);
      rssPages += s.rssPages;
    }
    const dtS = (now - prevT) / 1000;
    if (!first && dtS > 0) {
      samples.push({
        tS: (now - t0) / 1000,
        cpuPct: (ticks / clkTck / dtS) * 100,
        rssMb: (rssPages * pageSize) / MB,
        procs: tree.length,
      });
    }
    first = false;
    prev = next;
    prevT = now;
  };

  sample(); // baseline for the first CPU delta
  const timer = setInterval(sample, intervalMs);
  timer.unref(); // sampling must never keep the runner alive
  let stopped: ResourceSeries | undefined;
  return {
    startEpochMs: performance.timeOrigin + t0,
    elapsedS: () => (performance.now() - t0) / 1000,
    stop: () => {
      if (stopped) return stopped;
      clearInterval(timer);
      // A final partial interval, unless one just happened (tiny dt makes tick counts noisy).
      if (performance.now() - prevT >= intervalMs / 4) sample();
      return (stopped = summarizeSeries(samples));
    },
  };
}

export function summarizeSeries(samples: ResourceSample[]): ResourceSeries {
  const peakRssMb = samples.reduce((m, s) => Math.max(m, s.rssMb), 0);
  const meanCpuPct = samples.length ? samples.reduce((a, s) => a + s.cpuPct, 0) / samples.length : 0;
  return { samples, peakRssMb, meanCpuPct };
}

/**
 * Stats of one measurement cell: samples whose interval ends in (fromS, toS].
 * For a load run: fromS = (result.measureStartEpochMs - sampler.startEpochMs) / 1000,
 * toS = fromS + result.durationS.
 */
export function sliceSeries(series: ResourceSeries, fromS: number, toS: number): ResourceSeries {
  return summarizeSeries(series.samples.filter((s) => s.tS > fromS && s.tS <= toS));
}

/**
 * Several samplers as one (a proxy stack and its model server, as processes or containers): readings summed
 * in order, as many as the shortest series has (docker's readings come once a second, not in step).
 */
export function sumSamplers(parts: Sampler[]): Sampler {
  const first = parts[0]!;
  if (parts.length === 1) return first;
  let stopped: ResourceSeries | undefined;
  return {
    startEpochMs: first.startEpochMs,
    elapsedS: () => first.elapsedS(),
    stop: () => {
      if (stopped) return stopped;
      const series = parts.map((p) => p.stop().samples);
      const n = Math.min(...series.map((s) => s.length));
      const samples: ResourceSample[] = series[0]!.slice(0, n).map((s, i) => ({
        tS: s.tS,
        cpuPct: series.reduce((a, x) => a + x[i]!.cpuPct, 0),
        rssMb: series.reduce((a, x) => a + x[i]!.rssMb, 0),
        procs: series.reduce((a, x) => a + x[i]!.procs, 0),
      }));
      return (stopped = summarizeSeries(samples));
    },
  };
}
