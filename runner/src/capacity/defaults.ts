// Capacity search settings per profile. Quick keeps probes short (2.5 s is the shortest in which a rate 10%
// over saturation queues past a 100 ms SLO; 1.5 s probes passed such rates) and few (the search starts near
// the matrix's saturation rate, see phase.ts); full searches every task with longer probes.
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
  },
  quick: {
    ...common,
    tasks: ['predict'],
    minDurationS: 2.5,
    minQueries: 300,
    maxDurationS: 3.5,
    warmupS: 0.5,
    tolerance: 0.1,
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
