import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HELLO_BODY, ROUTES } from '@servebench/contract';
import type { StackSpec } from './discover.js';
import { launchProcess } from './launch/process.js';
import { runLoad } from './load/engine.js';
import { runWrk } from './load/wrk.js';
import { crossCheckGrpc } from './load/grpc-crosscheck.js';

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
