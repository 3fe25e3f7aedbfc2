import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StackSpec } from '../discover.js';
import { launchProcess } from '../launch/process.js';
import { ghzArgs, runGhz, type GhzOptions } from './grpc-ghz.js';
import { runGrpcLoad } from './grpc-engine.js';

/**
 * crosscheck.ts for gRPC stacks: ghz and the runner's gRPC engine on HelloWorld against the same
 * server, alternating, same concurrency, one connection and one load thread / Go CPU each.
 */
export async function crossCheckGrpc(
  stack: StackSpec,
  o: { connections: number; durationS: number; rounds: number },
): Promise<string> {
  const server = await launchProcess(stack, {
    env: { MODEL: 'tiny' },
    readyTimeoutMs: 120_000,
    logFile: join(mkdtempSync(join(tmpdir(), 'servebench-xcheck-')), 'server.log'),
  });
  const ghz: GhzOptions = {
    host: server.host,
    port: server.port,
    call: 'servebench.v1.Serving.HelloWorld',
    data: {},
    concurrency: o.connections,
    connections: 1,
    cpus: 1,
    durationS: o.durationS,
    timeoutS: 5,
  };
  const lines = [
    `crosscheck ${stack.id} HelloWorld, ${o.connections} calls in flight on 1 connection, ${o.durationS} s per measurement`,
    `  ghz ${ghzArgs(ghz).join(' ')}`,
  ];
  const engine: number[] = [];
  const ghzRps: number[] = [];
  try {
    for (let i = 0; i < o.rounds; i++) {
      const g = await runGhz(ghz);
      ghzRps.push(g.rps);
      const gErr =
        Object.entries(g.errors)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ') || '0';
      lines.push(
        `  round ${i + 1} ghz:    ${g.rps.toFixed(0)} OK/s, p50 ${g.latencyMs.p50.toFixed(2)} ms, p99 ${g.latencyMs.p99.toFixed(2)} ms, errors ${gErr}`,
      );
      const e = await runGrpcLoad({
        host: server.host,
        port: server.port,
        requests: [{ method: 'HelloWorld', message: {} }],
        expect: [{ kind: 'json', value: { hello: 'World' } }],
        mode: 'closed',
        concurrency: o.connections,
        channels: 1,
        warmupMs: 1000,
        durationMs: o.durationS * 1000,
        windowMs: 1000,
        timeoutMs: 5000,
        threads: 1,
      });
      engine.push(e.rps);
      const errs = Object.values(e.errors).reduce((a, b) => a + b, 0);
      lines.push(
        `  round ${i + 1} engine: ${e.rps.toFixed(0)} OK/s, p50 ${e.latencyMs.p50.toFixed(2)} ms, p99 ${e.latencyMs.p99.toFixed(2)} ms, errors ${errs}, client event loop ${(e.clientElu * 100).toFixed(0)}%`,
      );
    }
  } finally {
    await server.stop();
  }
  const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const ratio = avg(engine) / avg(ghzRps);
  lines.push(`engine/ghz = ${ratio.toFixed(3)} (${Math.abs(1 - ratio) <= 0.1 ? 'within' : 'OUTSIDE'} 10%)`);
  return `${lines.join('\n')}\n`;
}
