// Per-cell CPU accounting beside the load engine: its own CPU time (all threads of the runner
// process) and, from /proc/stat, how busy the load set and the whole machine were, and steal.
import { readFileSync } from 'node:fs';

/** Share of a CPU set at or above which a cell is flagged (client-bound / machine-bound). */
export const BOUND_THRESHOLD = 0.9;

export interface CpuTimes {
  /** All jiffies: user nice system idle iowait irq softirq steal (guest time is inside user/nice). */
  total: number;
  /** idle + iowait: time nothing could run. */
  idle: number;
  steal: number;
}

/** `cpu` (all) and `cpuN` lines of /proc/stat, by key ('all' or the CPU number). */
export function parseProcStat(text: string): Map<'all' | number, CpuTimes> {
  const out = new Map<'all' | number, CpuTimes>();
  for (const line of text.split('\n')) {
    const m = /^cpu(\d*)\s+(.*)$/.exec(line);
    if (!m) continue;
    const f = m[2]!.trim().split(/\s+/).map(Number);
    const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = f;
    out.set(m[1] === '' ? 'all' : Number(m[1]), {
      total: user + nice + system + idle + iowait + irq + softirq + steal,
      idle: idle + iowait,
      steal,
    });
  }
  return out;
}

/** Busy and steal shares (0..1) between two /proc/stat readings, over `cpus` (default: all). */
export function cpuShare(
  before: Map<'all' | number, CpuTimes>,
  after: Map<'all' | number, CpuTimes>,
  cpus?: readonly number[],
): { busy: number; steal: number } {
  const keys: Array<'all' | number> = cpus ? [...cpus] : ['all'];
  let total = 0;
  let idle = 0;
  let steal = 0;
  for (const k of keys) {
    const a = before.get(k);
    const b = after.get(k);
    if (!a || !b) continue;
    total += b.total - a.total;
    idle += b.idle - a.idle;
    steal += b.steal - a.steal;
  }
  return total > 0 ? { busy: (total - idle) / total, steal: steal / total } : { busy: 0, steal: 0 };
}

export interface CellCpu {
  /** Load engine (the runner process, every thread) CPU seconds over the cell. */
  loadCpuS: number;
  /** The same as a share of the load set's capacity (0..1). */
  loadCpuShare: number;
  /** The load set's busy share from /proc/stat (anything running on it), when placement is on. */
  loadSetBusy?: number;
  /** All CPUs together, busy share. */
  machineBusy: number;
  /** Steal share of all CPUs (a hypervisor giving our time to someone else). */
  steal: number;
  clientBound: boolean;
  machineBound: boolean;
}

export interface CpuMeterInput {
  /** The load set; undefined when placement is off (then the engine's own share of all CPUs counts). */
  loadCpus?: readonly number[];
  /** CPUs the machine has (to turn the engine's CPU time into a share when placement is off). */
  cpuCount: number;
}

/** Pure: the verdict from two readings each of process.cpuUsage() (µs), /proc/stat and a clock (ms). */
export function cellCpu(
  o: CpuMeterInput,
  usage: { before: NodeJS.CpuUsage; after: NodeJS.CpuUsage },
  stat: { before: Map<'all' | number, CpuTimes>; after: Map<'all' | number, CpuTimes> },
  wallMs: number,
): CellCpu {
  const loadCpuS = (usage.after.user - usage.before.user + usage.after.system - usage.before.system) / 1e6;
  const capacityS = ((o.loadCpus?.length ?? o.cpuCount) * wallMs) / 1000;
  const loadCpuShare = capacityS > 0 ? loadCpuS / capacityS : 0;
  const machine = cpuShare(stat.before, stat.after);
  const loadSetBusy = o.loadCpus ? cpuShare(stat.before, stat.after, o.loadCpus).busy : undefined;
  return {
    loadCpuS,
    loadCpuShare,
    ...(loadSetBusy !== undefined ? { loadSetBusy } : {}),
    machineBusy: machine.busy,
    steal: machine.steal,
    // With placement the load set's CPUs are the engine's alone, so /proc/stat says how busy it is;
    // without it, "the load set" is every CPU, and only the engine's own share tells client from server.
    clientBound: (loadSetBusy ?? loadCpuShare) >= BOUND_THRESHOLD,
    machineBound: machine.busy >= BOUND_THRESHOLD,
  };
}

export interface CpuMeter {
  stop(): CellCpu;
}

/** Starts measuring now; stop() at the end of the cell. */
export function startCpuMeter(o: CpuMeterInput, readStat = () => readFileSync('/proc/stat', 'utf8')): CpuMeter {
  const usage0 = process.cpuUsage();
  const stat0 = parseProcStat(readStat());
  const t0 = performance.now();
  return {
    stop: () =>
      cellCpu(
        o,
        { before: usage0, after: process.cpuUsage() },
        { before: stat0, after: parseProcStat(readStat()) },
        performance.now() - t0,
      ),
  };
}
