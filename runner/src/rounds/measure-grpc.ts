// One round of one gRPC cell: servebench.v1.Serving calls against a running server, with its resources.
import type { Task } from '@servebench/contract';
import type { LaunchedStack } from '../launch/compose.js';
import { runGrpcLoad } from '../load/grpc-engine.js';
import type { GrpcWorkload } from '../load/grpc-workload.js';
import type { RunSettings } from '../profiles.js';
import type { RoundResult } from '../results.js';
import { roundOf } from './cell.js';
import { costOf, diedDuring, engineOptions, resourcesOf, sampleServer, startLoadCpu } from './measure-common.js';

export interface GrpcCell {
  task: Task;
  concurrency: number;
  round: number;
  workload: GrpcWorkload;
}

export async function measureGrpcCell(s: RunSettings, server: LaunchedStack, c: GrpcCell): Promise<RoundResult> {
  const startedAt = new Date().toISOString();
  const sampler = sampleServer(server);
  const meter = startLoadCpu(s);
  // One HTTP/2 connection per load thread, but at least one per server worker (a connection sticks to one).
  const load = await runGrpcLoad({
    ...engineOptions(s, server, c.concurrency),
    ...c.workload,
    channels: Math.max(s.threads, s.workers),
  });
  const loadCpu = meter.stop();
  const resources = resourcesOf(sampler, load);
  return roundOf(s, c.round, startedAt, load, {
    resources,
    failed: diedDuring(server),
    loadCpu,
    cost: costOf(s, resources, load),
  });
}
