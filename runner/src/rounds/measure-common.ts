// What the HTTP and gRPC cell measurements share: the engine settings of a cell and the server's resources.
import type { LaunchedStack } from '../launch/compose.js';
import type { LoadResult } from '../load/types.js';
import type { RunSettings } from '../profiles.js';
import type { ResourceStats } from '../results.js';
import { sliceSeries, startSampler, type Sampler } from '../resources/sampler.js';
import { availableParallelism } from 'node:os';
import { DEFAULT_PRICE_PER_CORE_HOUR, cellCost, type CellCost } from '../resources/cost.js';
import { startCpuMeter, type CpuMeter } from '../resources/cpu.js';

/** The load engine's options for one cell against `server` (everything but the requests). */
export const engineOptions = (s: RunSettings, server: { host: string; port: number }, concurrency: number) => ({
  host: server.host,
  port: server.port,
  mode: s.mode,
  concurrency,
  ...(s.mode === 'open' ? { rate: s.rate, arrivals: s.arrivals } : {}),
  warmupMs: s.warmupS * 1000,
  durationMs: s.durationS * 1000,
  windowMs: s.windowS * 1000,
  timeoutMs: s.timeoutMs,
  threads: s.threads,
});

/** Samples the server's process tree (or its containers) while a cell runs. */
export const sampleServer = (server: Pick<LaunchedStack, 'pid' | 'sampleResources'>): Sampler =>
  server.sampleResources?.() ?? startSampler(server.pid, 250);

/** The sampled series cut to the measured interval (the engine reports when measuring started). */
export function resourcesOf(sampler: Sampler, load: LoadResult): ResourceStats | undefined {
  const series = sampler.stop();
  if (!series.samples.length) return undefined;
  const fromS = ((load.measureStartEpochMs ?? sampler.startEpochMs) - sampler.startEpochMs) / 1000;
  const sliced = sliceSeries(series, fromS, fromS + load.durationS);
  // A cell shorter than the sampling cadence (docker stats: 1 s) keeps every sample it has.
  const measured = sliced.samples.length ? sliced : series;
  return {
    meanCpuPct: measured.meanCpuPct,
    peakCpuPct: Math.max(0, ...measured.samples.map((x) => x.cpuPct)),
    peakRssMb: series.peakRssMb,
    samples: series.samples.map(({ tS, cpuPct, rssMb }) => ({ tS, cpuPct, rssMb })),
  };
}

/** A round is unusable when the server died during it. */
export function diedDuring(server: Pick<LaunchedStack, 'exited'>): string | undefined {
  const died = server.exited();
  return died ? `the server exited during the cell (${died.code ?? died.signal})` : undefined;
}

/** Starts the load engine's CPU meter for one cell (the load set when placement is on). */
export const startLoadCpu = (s: RunSettings): CpuMeter =>
  startCpuMeter({ ...(s.placement ? { loadCpus: s.placement.load } : {}), cpuCount: availableParallelism() });

/** Server CPU-seconds per 1k successes and USD per million, from the sampled resources. */
export const costOf = (s: RunSettings, resources: ResourceStats | undefined, load: LoadResult): CellCost | undefined =>
  resources
    ? cellCost(resources.meanCpuPct, load.durationS, load.successes, s.pricePerCoreHour ?? DEFAULT_PRICE_PER_CORE_HOUR)
    : undefined;
