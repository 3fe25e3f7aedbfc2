// Efficiency and cost per cell, from the server's CPU time (the resource sampler) and its successes.

/**
 * Default price of one vCPU (logical CPU) for one hour, USD: AWS EC2 on-demand m6i.large (general
 * purpose, 2 vCPU, Intel Xeon), Linux, us-east-1, $0.096 per instance-hour / 2 vCPU. Source: the
 * EC2 On-Demand pricing page (aws.amazon.com/ec2/pricing/on-demand/); override with --price-per-core-hour.
 */
export const DEFAULT_PRICE_PER_CORE_HOUR = 0.048;
export const PRICE_SOURCE = 'AWS EC2 on-demand m6i.large, Linux, us-east-1: $0.096/h for 2 vCPU';

export interface CellCost {
  /** Server CPU-seconds (all processes of the stack) spent per 1,000 successful requests. */
  cpuSecondsPer1k: number;
  /** USD per million successful requests at `pricePerCoreHour` for the CPU time used. */
  usdPerMillion: number;
}

/**
 * meanCpuPct: the server tree's mean CPU over the measured interval (100 = one core busy);
 * durationS: that interval; successes: verified replies in it. Undefined when nothing succeeded.
 */
export function cellCost(
  meanCpuPct: number,
  durationS: number,
  successes: number,
  pricePerCoreHour: number,
): CellCost | undefined {
  if (!(successes > 0) || !(durationS > 0) || !Number.isFinite(meanCpuPct)) return undefined;
  const cpuS = (meanCpuPct / 100) * durationS;
  const cpuSecondsPer1k = (cpuS / successes) * 1000;
  // per 1k -> per 1M is x1000; core-seconds -> core-hours is /3600.
  const usdPerMillion = ((cpuSecondsPer1k * 1000) / 3600) * pricePerCoreHour;
  return { cpuSecondsPer1k, usdPerMillion };
}
