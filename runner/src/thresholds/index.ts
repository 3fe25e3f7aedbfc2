export { parseThreshold, ThresholdError, type Threshold } from './parse.js';
export {
  describeThresholds,
  evaluateThresholds,
  THRESHOLD_EXIT_CODE,
  type StackView,
  type ThresholdResult,
} from './evaluate.js';
