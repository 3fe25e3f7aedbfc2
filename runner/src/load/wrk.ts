// Independent cross-check: run the `wrk` binary against the same server and
// parse its text report. Nothing here shares code with our own engine.
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { pinnedCommand } from '../placement/affinity.js';
import { assertLoopbackHost } from './loopback.js';

export interface WrkOptions {
  url: string;
  connections: number;
  threads: number;
  durationS: number;
  timeoutS: number;
  /** Run wrk under `taskset -c` on these CPUs (the load set). */
  pinCpus?: readonly number[];
}

export interface WrkErrors {
  connect: number;
  read: number;
  write: number;
  timeout: number;
  /** "Non-2xx or 3xx responses" (i.e. status >= 400). */
  status: number;
}

export interface WrkResult {
  rps: number;
  /** Percentiles from wrk's --latency table; max from the thread stats line. */
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  requests: number;
  /** Total of all error kinds below. */
  errors: number;
  errorDetail: WrkErrors;
  durationS: number;
}

const TIME_UNITS: Record<string, number> = { us: 1e-3, ms: 1, s: 1e3, m: 60e3, h: 3600e3 };
const COUNT_UNITS: Record<string, number> = { '': 1, k: 1e3, K: 1e3, M: 1e6, G: 1e9 };

/** "350.00us" | "2.33ms" | "1.20s" | "1.00m" -> ms */
export function parseWrkTime(s: string): number {
  const m = /^([\d.]+)(us|ms|s|m|h)$/.exec(s.trim());
  if (!m) throw new Error(`wrk: cannot parse time ${JSON.stringify(s)}`);
  // Round away float noise (1.02 * 1000 = 1020.0000000000001); wrk prints 2 decimals.
  return Math.round(Number(m[1]) * TIME_UNITS[m[2]!]! * 1e6) / 1e6;
}

/** "18.18k" | "1.2M" | "54384" -> number */
export function parseWrkCount(s: string): number {
  const m = /^([\d.]+)([kKMG]?)$/.exec(s.trim());
  if (!m) throw new Error(`wrk: cannot parse count ${JSON.stringify(s)}`);
  return Number(m[1]) * COUNT_UNITS[m[2]!]!;
}

export function parseWrkOutput(text: string): WrkResult {
  const need = (re: RegExp, what: string): RegExpExecArray => {
    const m = re.exec(text);
    if (!m) throw new Error(`wrk: no ${what} in output:\n${text.slice(0, 2000)}`);
    return m;
  };
  const pct = (p: string): number =>
    parseWrkTime(need(new RegExp(`^\\s*${p}%\\s+(\\S+)\\s*$`, 'm'), `${p}% latency`)[1]!);
  const lat = need(/^\s*Latency\s+(\S+)\s+(\S+)\s+(\S+)\s+\S+\s*$/m, 'latency stats');
  const total = need(/^\s*(\d+) requests in (\S+),/m, 'request count');
  const rps = Number(need(/^Requests\/sec:\s+([\d.]+)/m, 'Requests/sec')[1]);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(text);
  const errorDetail: WrkErrors = {
    connect: Number(sock?.[1] ?? 0),
    read: Number(sock?.[2] ?? 0),
    write: Number(sock?.[3] ?? 0),
    timeout: Number(sock?.[4] ?? 0),
    status: Number(non2xx?.[1] ?? 0),
  };
  return {
    rps,
    latencyMs: { p50: pct('50'), p90: pct('90'), p99: pct('99'), max: parseWrkTime(lat[3]!) },
    requests: Number(total[1]),
    errors: Object.values(errorDetail).reduce((a, b) => a + b, 0),
    errorDetail,
    durationS: parseWrkTime(total[2]!) / 1000,
  };
}

function onPath(bin: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, bin);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // keep looking
    }
  }
  return undefined;
}

export function wrkAvailable(): boolean {
  return onPath('wrk') !== undefined;
}

export function runWrk(opts: WrkOptions): Promise<WrkResult> {
  const url = new URL(opts.url);
  assertLoopbackHost(url.hostname);
  if (url.protocol !== 'http:') throw new Error(`wrk cross-check supports http:// only, got ${url.protocol}`);
  const bin = onPath('wrk');
  if (!bin)
    throw new Error('wrk not found on PATH: install it with `apt-get install wrk` (or skip the wrk cross-check)');
  const threads = Math.max(1, Math.min(opts.threads, opts.connections)); // wrk requires connections >= threads
  const args = [
    '--latency',
    '-t',
    String(threads),
    '-c',
    String(opts.connections),
    '-d',
    `${Math.max(1, Math.round(opts.durationS))}s`,
    '--timeout',
    `${Math.max(1, Math.ceil(opts.timeoutS))}s`,
    url.href,
  ];
  const [cmd, ...argv] = pinnedCommand([bin, ...args], opts.pinCpus);
  return new Promise((resolve, reject) => {
    // wrk's own run is bounded by -d; the kill timeout only guards against a hung binary.
    execFile(
      cmd!,
      argv,
      { timeout: (opts.durationS + opts.timeoutS + 15) * 1000, maxBuffer: 1 << 20 },
      (err, stdout, stderr) => {
        if (err) return reject(new Error(`wrk failed: ${err.message}\n${stderr}${stdout}`.trim()));
        try {
          resolve(parseWrkOutput(stdout));
        } catch (e) {
          reject(e instanceof Error ? e : new Error(String(e)));
        }
      },
    );
  });
}
