// Is a run's throughput settled? Pure functions over the engine's windows.

export interface StabilityOptions {
  /** How many trailing windows must agree. */
  lastN: number;
  /** Allowed relative deviation of each window's rps from their mean (0.1 = ±10%). */
  tolerance: number;
}

export interface StabilityVerdict {
  stable: boolean;
  /** (max - min) / mean over the last N windows' rps; Infinity when undefined. */
  spread: number;
  /** The tolerance the windows were held to. */
  threshold: number;
  lastN: number;
}

export const DEFAULT_STABILITY: StabilityOptions = { lastN: 3, tolerance: 0.1 };

export function assessStability(
  windows: ReadonlyArray<{ rps: number }>,
  opts: StabilityOptions = DEFAULT_STABILITY,
): StabilityVerdict {
  const { lastN, tolerance } = opts;
  const base = { threshold: tolerance, lastN };
  if (lastN < 1 || windows.length < lastN) return { stable: false, spread: Infinity, ...base };
  const rps = windows.slice(-lastN).map((w) => w.rps);
  const mean = rps.reduce((a, b) => a + b, 0) / rps.length;
  const min = Math.min(...rps);
  const max = Math.max(...rps);
  // Zero throughput is not a steady state worth reporting as stable.
  if (!(mean > 0)) return { stable: false, spread: Infinity, ...base };
  const spread = (max - min) / mean;
  // Tiny epsilon so a window exactly on the boundary passes despite float rounding.
  const stable = rps.every((r) => Math.abs(r - mean) <= tolerance * mean * (1 + 1e-12));
  return { stable, spread, ...base };
}

/** e.g. "stable if each of the last 3 windows' rps is within ±10% of their mean". */
export function formatStabilityRule(opts: StabilityOptions = DEFAULT_STABILITY): string {
  const pct = Math.round(opts.tolerance * 1000) / 10;
  return `stable if each of the last ${opts.lastN} windows' rps is within ±${pct}% of their mean`;
}

/** e.g. "stable (spread 4.2%, rule ±10% over last 3 windows)". */
export function formatStabilityVerdict(v: StabilityVerdict): string {
  const spread = Number.isFinite(v.spread) ? `${(v.spread * 100).toFixed(1)}%` : 'n/a';
  const pct = Math.round(v.threshold * 1000) / 10;
  return `${v.stable ? 'stable' : 'UNSTABLE'} (spread ${spread}, rule ±${pct}% over last ${v.lastN} windows)`;
}
