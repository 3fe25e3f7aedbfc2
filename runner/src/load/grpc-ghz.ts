// Independent gRPC cross-check: run the `ghz` binary (grpc-go) against the same server and parse
// its JSON report. Nothing here shares code with our own engine. Install: `go install github.com/bojand/ghz/cmd/ghz@v0.120.0`.
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { PROTO_PATH } from '@servebench/contract/grpc';
import { pinnedCommand } from '../placement/affinity.js';
import { assertLoopbackHost } from './loopback.js';

export const GHZ_VERSION = 'v0.120.0';
export const GHZ_MISSING = `ghz not found on PATH or in $GOPATH/bin: go install github.com/bojand/ghz/cmd/ghz@${GHZ_VERSION}`;

export interface GhzOptions {
  host: string;
  port: number;
  /** e.g. servebench.v1.Serving.HelloWorld */
  call: string;
  data: unknown;
  concurrency: number;
  connections: number;
  /** GOMAXPROCS of ghz (--cpus). */
  cpus: number;
  durationS: number;
  timeoutS: number;
  /** Run ghz under `taskset -c` on these CPUs (the load set). */
  pinCpus?: readonly number[];
}

export interface GhzResult {
  /** OK replies per second; ghz's own `rps` also counts errors. */
  rps: number;
  ok: number;
  count: number;
  errors: Record<string, number>;
  latencyMs: { p50: number; p90: number; p99: number };
  durationS: number;
}

interface GhzJson {
  count: number;
  total: number;
  statusCodeDistribution?: Record<string, number>;
  latencyDistribution?: Array<{ percentage: number; latency: number }> | null;
}

/** ghz -O json: durations are in ns. */
export function parseGhzJson(text: string): GhzResult {
  const j = JSON.parse(text) as GhzJson;
  if (typeof j.count !== 'number' || typeof j.total !== 'number')
    throw new Error(`ghz: unexpected report: ${text.slice(0, 500)}`);
  const { OK: ok = 0, ...errors } = j.statusCodeDistribution ?? {};
  const pct = (p: number) => (j.latencyDistribution?.find((x) => x.percentage === p)?.latency ?? NaN) / 1e6;
  const durationS = j.total / 1e9;
  return {
    rps: durationS > 0 ? ok / durationS : 0,
    ok,
    count: j.count,
    errors,
    latencyMs: { p50: pct(50), p90: pct(90), p99: pct(99) },
    durationS,
  };
}

/** ghz on PATH, or where `go install` puts it. */
export function ghzPath(): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), join(process.env.GOPATH ?? join(homedir(), 'go'), 'bin')];
  for (const dir of dirs.filter(Boolean)) {
    try {
      accessSync(join(dir, 'ghz'), constants.X_OK);
      return join(dir, 'ghz');
    } catch {
      // keep looking
    }
  }
  return undefined;
}

/** The argv given to ghz, also printed by the cross-check so the run can be repeated by hand. */
export function ghzArgs(o: GhzOptions): string[] {
  return [
    '--insecure',
    '--proto',
    PROTO_PATH,
    '--call',
    o.call,
    '-d',
    JSON.stringify(o.data),
    '-c',
    String(o.concurrency),
    '--connections',
    String(o.connections),
    '--cpus',
    String(o.cpus),
    // ignore: calls in flight at the end are dropped, not counted as errors (as our engine and wrk do).
    '-z',
    `${Math.max(1, Math.round(o.durationS))}s`,
    '--duration-stop',
    'ignore',
    '-t',
    `${Math.max(1, Math.ceil(o.timeoutS))}s`,
    '-O',
    'json',
    `${o.host}:${o.port}`,
  ];
}

export function runGhz(o: GhzOptions): Promise<GhzResult> {
  assertLoopbackHost(o.host);
  const bin = ghzPath();
  if (!bin) throw new Error(GHZ_MISSING);
  const [cmd, ...args] = pinnedCommand([bin, ...ghzArgs(o)], o.pinCpus);
  return new Promise((resolve, reject) => {
    // ghz's run is bounded by -z; the kill timeout only guards against a hung binary.
    execFile(
      cmd!,
      args,
      { timeout: (o.durationS + o.timeoutS + 15) * 1000, maxBuffer: 1 << 24 },
      (err, stdout, stderr) => {
        if (err) return reject(new Error(`ghz failed: ${err.message}\n${stderr}`.trim()));
        try {
          resolve(parseGhzJson(stdout));
        } catch (e) {
          reject(e instanceof Error ? e : new Error(String(e)));
        }
      },
    );
  });
}
