// Capacity search settings per profile. Quick keeps probes short and few (the search starts near the matrix's
// saturation rate, see phase.ts) and spends the time on three interleaved rounds instead: one long search on a
// drifting machine is one moment's capacity, three short ones spread over the stage give a median and a range.
// Its first round stops at a 20% bracket (two or three probes); the log-p99 interpolation and the two confirming
// rounds narrow it.
// full searches every task with longer probes.
import type { CapacitySettings } from './types.js';

const common = {
  slo: {},
  growth: 2,
  minRate: 1,
  maxRate: 100_000,
  maxErrorRate: 0.001,
  maxLateFraction: 0.1,
  maxAchievedGap: 0.02,
  connections: 64,
  rounds: 3,
} as const;

export const CAPACITY_DEFAULTS = Object.freeze({
  /** CI: proves the phase runs end to end, not the numbers. */
  smoke: {
    ...common,
    tasks: ['predict'],
    minDurationS: 0.5,
    minQueries: 50,
    maxDurationS: 1,
    warmupS: 0.2,
    tolerance: 0.25,
    maxProbes: 4,
    rounds: 1,
  },
  quick: {
    ...common,
    tasks: ['predict'],
    minDurationS: 1.5,
    minQueries: 150,
    maxDurationS: 2,
    warmupS: 0.3,
    tolerance: 0.2,
    maxProbes: 5,
  },
  full: {
    ...common,
    tasks: ['hello_world', 'tokenize', 'predict'],
    minDurationS: 5,
    minQueries: 2000,
    maxDurationS: 20,
    warmupS: 1,
    tolerance: 0.05,
    maxProbes: 10,
  },
} satisfies Record<string, CapacitySettings>) as Readonly<
  Record<'smoke' | 'quick' | 'full', Readonly<CapacitySettings>>
>;
