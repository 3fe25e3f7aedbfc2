export {
  assessStability,
  formatStabilityRule,
  formatStabilityVerdict,
  DEFAULT_STABILITY,
  type StabilityOptions,
  type StabilityVerdict,
} from './stability.js';
export { parseServerTiming, type ServerTimingEntry } from './servertiming.js';
export {
  newHistogram,
  encodeHistogram,
  decodeHistogram,
  mergeEncoded,
  summarize,
  cdf,
  cdfPercentiles,
} from './histogram.js';
