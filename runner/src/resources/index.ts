export {
  startSampler,
  sliceSeries,
  summarizeSeries,
  type ResourceSample,
  type ResourceSeries,
  type Sampler,
} from './sampler.js';
export { processTree, parseStat, type ProcStat } from './proc.js';
