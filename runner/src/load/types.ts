// Plain-JSON types shared by the load engine, its workers and the orchestration.

export interface RequestTemplate {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

export type Expectation =
  | { kind: 'exact'; body: string } // byte-equal, or JSON-deep-equal after parse as a fallback
  | { kind: 'json'; value: unknown } // JSON deep-equal
  | { kind: 'embedding'; field: 'embedding' | 'embeddings'; values: number[] | number[][]; tol: number };

export interface LoadSpec {
  /** Must be a loopback address (127.0.0.0/8, ::1, localhost). */
  host: string;
  port: number;
  /** Sent round-robin; request i is checked against expect[i]. */
  requests: RequestTemplate[];
  expect: Expectation[];
  mode: 'closed' | 'open';
  /** closed: connections each with one request in flight; open: max connections. */
  concurrency: number;
  /** Open loop: requests/s. */
  rate?: number;
  arrivals?: 'fixed' | 'poisson';
  seed?: number;
  warmupMs: number;
  durationMs: number;
  /**
   * Open loop: explicit send times in ms from the start (warm-up included), ascending, instead of `arrivals`
   * at `rate` (a burst, a replayed trace); `rate` is then their mean rate. Scheduling ends after the last.
   */
  arrivalOffsetsMs?: number[];
  /** Measurement stops at durationMs or after maxRequests successes+errors. */
  maxRequests?: number;
  windowMs: number;
  timeoutMs: number;
  threads?: number;
}

/** Milliseconds. */
export interface LatencySummary {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  p999: number;
  max: number;
}

export interface WindowStats {
  startS: number;
  successes: number;
  rps: number;
  p50: number;
  p99: number;
}

export interface ServerTimingStats {
  count: number;
  mean: number;
  p50: number;
  p99: number;
}

export interface OpenLoopStats {
  scheduled: number;
  sent: number;
  late: number;
  dropped: number;
}

export interface LoadResult {
  mode: 'closed' | 'open';
  concurrency: number;
  rate?: number;
  /** Measured duration. */
  durationS: number;
  successes: number;
  /** By class: status_<code>, invalid_body, timeout, connect, reset, parse, dropped (open loop). */
  errors: Record<string, number>;
  /** successes / durationS */
  rps: number;
  latencyMs: LatencySummary;
  /** [percentile 0..100, ms], for plotting a latency CDF. */
  cdf: Array<[percentile: number, ms: number]>;
  windows: WindowStats[];
  /** Per Server-Timing metric name, `dur` values in ms. */
  serverTiming: Record<string, ServerTimingStats>;
  open?: OpenLoopStats;
  /** Max event-loop utilization over workers during measurement, 0..1. */
  clientElu: number;
  threads: number;
  /**
   * Wall-clock epoch (ms, performance.timeOrigin-based) at which the measurement
   * window began; with Sampler.startEpochMs it locates the cell in a ResourceSeries.
   */
  measureStartEpochMs?: number;
  /** The merged latency histogram (µs, HDR, compressed base64): rounds of a cell merge exactly. */
  histogram?: string;
}
