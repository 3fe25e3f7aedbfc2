import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HELLO_BODY, ROUTES } from '@servebench/contract';
import type { StackSpec } from './discover.js';
import { launchProcess } from './launch/process.js';
import { runLoad } from './load/engine.js';
import { runWrk, wrkAvailable } from './load/wrk.js';
import { crossCheckGrpc } from './load/grpc-crosscheck.js';
import { runGrpcLoad } from './load/grpc-engine.js';
import { GHZ_MISSING, ghzPath, runGhz } from './load/grpc-ghz.js';

/** Engine vs an independent tool on one server's hello_world, for a published run's results and stamp. */
export interface CrossCheckResult {
  stack: string;
  tool: 'wrk' | 'ghz';
  status: 'ok' | 'not-measured' | 'failed';
  reason?: string;
  connections?: number;
  durationS?: number;
  /** req/s (verified successes / s) of each alternating round. */
  rounds?: Array<{ engineRps: number; toolRps: number }>;
  engineRps?: number;
  toolRps?: number;
  /** engine / tool, from the round medians. */
  ratio?: number;
  /** |1 - ratio| <= 10%. */
  agrees?: boolean;
}

export interface CrossCheckTarget {
  stack: string;
  protocol: 'http' | 'grpc';
  host: string;
  port: number;
}

export interface CrossCheckOptions {
  connections: number;
  durationS: number;
  warmupS: number;
  rounds: number;
  /** The load set: wrk/ghz run under taskset here; the engine runs in the runner, already pinned to it. */
  loadCpus?: readonly number[];
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/**
 * On an already launched server: the tool, then the engine, `rounds` times, same connections and
 * placement. A missing tool is `not-measured` with the reason (never a silent skip); never throws.
 */
export async function crossCheckServer(t: CrossCheckTarget, o: CrossCheckOptions): Promise<CrossCheckResult> {
  const tool = t.protocol === 'grpc' ? 'ghz' : 'wrk';
  const base = { stack: t.stack, tool } as const;
  if (tool === 'wrk' && !wrkAvailable())
    return { ...base, status: 'not-measured', reason: 'wrk not found on PATH (apt-get install -y wrk)' };
  if (tool === 'ghz' && !ghzPath()) return { ...base, status: 'not-measured', reason: GHZ_MISSING };
  const rounds: Array<{ engineRps: number; toolRps: number }> = [];
  const common = {
    host: t.host,
    port: t.port,
    mode: 'closed' as const,
    concurrency: o.connections,
    warmupMs: o.warmupS * 1000,
    durationMs: o.durationS * 1000,
    windowMs: 1000,
    timeoutMs: 5000,
    threads: 1,
  };
  try {
    for (let i = 0; i < o.rounds; i++) {
      const toolRps =
        tool === 'wrk'
          ? (
              await runWrk({
                url: `http://${t.host.includes(':') ? `[${t.host}]` : t.host}:${t.port}${ROUTES.hello}`,
                connections: o.connections,
                threads: 1,
                durationS: o.durationS,
                timeoutS: 5,
                pinCpus: o.loadCpus,
              })
            ).rps
          : (
              await runGhz({
                host: t.host,
                port: t.port,
                call: 'servebench.v1.Serving.HelloWorld',
                data: {},
                concurrency: o.connections,
                connections: 1,
                cpus: o.loadCpus?.length ?? 1,
                durationS: o.durationS,
                timeoutS: 5,
                pinCpus: o.loadCpus,
              })
            ).rps;
      const engine =
        tool === 'wrk'
          ? await runLoad({
              ...common,
              requests: [{ method: 'GET', path: ROUTES.hello }],
              expect: [{ kind: 'exact', body: HELLO_BODY }],
            })
          : await runGrpcLoad({
              ...common,
              requests: [{ method: 'HelloWorld', message: {} }],
              expect: [{ kind: 'json', value: { hello: 'World' } }],
              channels: 1,
            });
      rounds.push({ engineRps: engine.rps, toolRps });
    }
  } catch (e) {
    return { ...base, status: 'failed', reason: (e as Error).message.split('\n')[0]!, rounds };
  }
  const engineRps = median(rounds.map((r) => r.engineRps));
  const toolRps = median(rounds.map((r) => r.toolRps));
  const ratio = toolRps > 0 ? engineRps / toolRps : 0;
  return {
    ...base,
    status: 'ok',
    connections: o.connections,
    durationS: o.durationS,
    rounds,
    engineRps,
    toolRps,
    ratio,
    agrees: Math.abs(1 - ratio) <= 0.1,
  };
}

/** For the run stamp (docs/results.md): `engine/wrk 0.97 on fastify+ort (c=64), engine/ghz not measured (…)`. */
export function crossCheckStamp(rs: readonly CrossCheckResult[]): string {
  return rs
    .map((r) =>
      r.status === 'ok'
        ? `engine/${r.tool} ${r.ratio!.toFixed(2)} on ${r.stack} hello_world (c=${r.connections})`
        : `engine/${r.tool} ${r.status === 'failed' ? 'failed' : 'not measured'} (${r.reason})`,
    )
    .join('; ');
}

/**
 * Runs the runner's engine and wrk against the same server on hello_world, alternating, and
 * reports both req/s and their ratio. The engine is credible when the ratio is within 10%
 * and its event loop is not saturated.
 */
export async function crossCheck(
  stack: StackSpec,
  o: { connections: number; durationS: number; rounds: number; root: string },
): Promise<string> {
  if (stack.server.protocol === 'grpc') return crossCheckGrpc(stack, o); // ghz instead of wrk
  const server = await launchProcess(stack, {
    env: { MODEL: 'tiny' },
    readyTimeoutMs: 120_000,
    logFile: join(mkdtempSync(join(tmpdir(), 'servebench-xcheck-')), 'server.log'),
  });
  const lines = [`crosscheck ${stack.id} hello_world, ${o.connections} connections, ${o.durationS} s per measurement`];
  const engine: number[] = [];
  const wrk: number[] = [];
  try {
    for (let i = 0; i < o.rounds; i++) {
      const w = await runWrk({
        url: `${server.baseUrl}${ROUTES.hello}`,
        connections: o.connections,
        threads: 1,
        durationS: o.durationS,
        timeoutS: 5,
      });
      wrk.push(w.rps);
      lines.push(
        `  round ${i + 1} wrk:    ${w.rps.toFixed(0)} req/s, p99 ${w.latencyMs.p99.toFixed(2)} ms, errors ${w.errors}`,
      );
      const e = await runLoad({
        host: server.host,
        port: server.port,
        requests: [{ method: 'GET', path: ROUTES.hello }],
        expect: [{ kind: 'exact', body: HELLO_BODY }],
        mode: 'closed',
        concurrency: o.connections,
        warmupMs: 1000,
        durationMs: o.durationS * 1000,
        windowMs: 1000,
        timeoutMs: 5000,
        threads: 1,
      });
      engine.push(e.rps);
      const errs = Object.values(e.errors).reduce((a, b) => a + b, 0);
      lines.push(
        `  round ${i + 1} engine: ${e.rps.toFixed(0)} req/s, p99 ${e.latencyMs.p99.toFixed(2)} ms, errors ${errs}, client event loop ${(e.clientElu * 100).toFixed(0)}%`,
      );
    }
  } finally {
    await server.stop();
  }
  const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const ratio = avg(engine) / avg(wrk);
  lines.push(`engine/wrk = ${ratio.toFixed(3)} (${Math.abs(1 - ratio) <= 0.1 ? 'within' : 'OUTSIDE'} 10%)`);
  return `${lines.join('\n')}\n`;
}
