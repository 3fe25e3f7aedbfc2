// One round of one HTTP cell: the engine against a running server, with its resources and batch sizes.
import type { Task } from '@servebench/contract';
import type { LaunchedStack } from '../launch/compose.js';
import { runCellLoad } from '../agents/run-cell.js';
import type { RunSettings } from '../profiles.js';
import type { RoundResult } from '../results.js';
import { diffHistogram, scrapeHistogram } from '../scrape.js';
import type { Workload } from '../workload.js';
import { roundOf } from './cell.js';
import { costOf, diedDuring, engineOptions, resourcesOf, sampleServer, startLoadCpu } from './measure-common.js';

export interface HttpCell {
  task: Task;
  concurrency: number;
  round: number;
  workload: Workload;
}

export async function measureHttpCell(s: RunSettings, server: LaunchedStack, c: HttpCell): Promise<RoundResult> {
  const startedAt = new Date().toISOString();
  const batchesBefore =
    c.task === 'predict' ? await scrapeHistogram(server.baseUrl, 'servebench_batch_size') : undefined;
  const sampler = sampleServer(server);
  const meter = startLoadCpu(s);
  const load = await runCellLoad(s, { ...engineOptions(s, server, c.concurrency), ...c.workload });
  const loadCpu = meter.stop();
  const resources = resourcesOf(sampler, load);
  const batching = batchesBefore
    ? diffHistogram(batchesBefore, await scrapeHistogram(server.baseUrl, 'servebench_batch_size'))
    : undefined;
  return roundOf(s, c.round, startedAt, load, {
    resources,
    batching,
    failed: diedDuring(server),
    loadCpu,
    cost: costOf(s, resources, load),
  });
}
