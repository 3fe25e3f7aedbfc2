export {
  startSampler,
  sliceSeries,
  summarizeSeries,
  type ResourceSample,
  type ResourceSeries,
  type Sampler,
} from './sampler.js';
export { processTree, parseStat, type ProcStat } from './proc.js';
export {
  BOUND_THRESHOLD,
  cellCpu,
  cpuShare,
  parseProcStat,
  startCpuMeter,
  type CellCpu,
  type CpuMeter,
} from './cpu.js';
export { DEFAULT_PRICE_PER_CORE_HOUR, PRICE_SOURCE, cellCost, type CellCost } from './cost.js';
