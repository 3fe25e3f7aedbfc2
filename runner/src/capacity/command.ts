// `servebench capacity` (launch, verify and search every stack; no concurrency matrix) and
// `servebench check` (thresholds against a finished run). Registered on the CLI's program.
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { discoverServers, filterStacks, stacksOf } from '../discover.js';
import { readResults } from '../results.js';
import { finishRun } from '../report/finish.js';
import { runBenchmark } from '../run.js';
import { UsageError, resolveSettings, type RunFlags } from '../settings.js';
import {
  THRESHOLD_EXIT_CODE,
  ThresholdError,
  describeThresholds,
  evaluateThresholds,
  parseThreshold,
} from '../thresholds/index.js';
import type { Threshold } from '../thresholds/index.js';
import { renderDecisionTable } from './decision.js';
import { CAPACITY_DEFAULTS } from './defaults.js';
import { resolveCapacity, type CapacityFlags } from './flags.js';

export interface CliDeps {
  root: string;
  resolveRunDir(outDir: string, ref: string): string;
  pointLatest(outDir: string, runId: string): void;
}

/** Parses --threshold values once; a bad one is a usage error. */
export function thresholdsOf(items: string[] | undefined): Threshold[] {
  try {
    return (items ?? []).map(parseThreshold);
  } catch (e) {
    if (e instanceof ThresholdError) throw new UsageError(e.message);
    throw e;
  }
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function registerCapacityCommands(program: Command, d: CliDeps): void {
  program
    .command('capacity')
    .description(
      'per stack and task, the highest Poisson arrival rate whose p99 meets the SLO (launch, verify, search by bracketing and bisection in interleaved rounds; no concurrency matrix)',
    )
    .option('--profile <name>', 'probe lengths and tolerance: smoke | quick (default) | full', 'quick')
    .option('--stacks <list>', 'comma-separated stack ids, server ids or +backend (default: all discovered)')
    .option('--capacity-tasks <list>', 'tasks to search (default: the profile: quick predict, full every task)')
    .option(
      '--slo <task:p99=ms>',
      'p99 target per task, repeatable, e.g. predict:p99=50 (defaults: per model, see docs/measurement.md)',
      collect,
    )
    .option('--min-duration <s>', 'each probe lasts at least this long')
    .option('--min-queries <n>', 'and holds at least this many arrivals')
    .option('--max-duration <s>', 'but never runs longer than this')
    .option('--tolerance <f>', 'stop when (hi - lo) / hi is at most this')
    .option('--max-probes <n>', 'probes per stack and task at most')
    .option('--capacity-rounds <n>', 'searches per stack and task, interleaved across stacks (quick: 3)')
    .option('--connections <n>', 'open-loop client connections (requests in flight) at most')
    .option('--max-late <f>', 'share of sends more than 1 ms behind schedule a passing probe may have')
    .option(
      '--threshold <expr>',
      "k6-style gate, repeatable, e.g. 'predict:capacity>=200' (exit 99 when violated)",
      collect,
    )
    .option('--model <name>', 'tiny | mini | small | base')
    .option('--workers <n>', 'server processes per stack (WORKERS)')
    .option('--threads <n>', 'ORT intra-op threads')
    .option('--load-threads <n>', 'load generator worker threads')
    .option('--max-batch-size <n>', 'dynamic batching for every stack (1 = off)')
    .option('--out <dir>', 'results root', join(d.root, 'results'))
    .option('--run-id <id>', 'name of the run folder (default: UTC time and "capacity")')
    .option('--extra-server <dir...>', 'also discover server workspaces in these folders')
    .option('--update-readme', 'render the decision table into README.md between the capacity markers')
    .action(
      async (
        flags: CapacityFlags &
          Pick<RunFlags, 'model' | 'workers' | 'threads' | 'loadThreads' | 'maxBatchSize'> & {
            profile: string;
            stacks?: string;
            threshold?: string[];
            out: string;
            runId?: string;
            extraServer?: string[];
            updateReadme?: boolean;
          },
      ) => {
        const preset = CAPACITY_DEFAULTS[flags.profile as keyof typeof CAPACITY_DEFAULTS];
        if (!preset) throw new UsageError(`--profile ${flags.profile}: expected smoke, quick or full`);
        const thresholds = thresholdsOf(flags.threshold);
        const base = resolveSettings({
          profile: flags.profile === 'smoke' ? 'smoke' : 'quick',
          model: flags.model,
          workers: flags.workers,
          threads: flags.threads,
          loadThreads: flags.loadThreads,
          maxBatchSize: flags.maxBatchSize,
        });
        const capacity = resolveCapacity(preset, flags, (m) => {
          throw new UsageError(m);
        });
        // No matrix, no raw row, no calibration: the stage launches and verifies each stack itself.
        const settings = Object.freeze({
          ...base,
          profile: `capacity-${flags.profile}`,
          tasks: capacity.tasks,
          concurrency: [],
          lightConcurrency: [],
          raw: false,
          calibration: false,
          keepStacksUp: false,
          capacity,
        });
        const stacks = filterStacks(stacksOf(discoverServers(d.root, flags.extraServer)), flags.stacks?.split(','));
        const outDir = resolve(flags.out);
        const runId = flags.runId ?? `${new Date().toISOString().replace(/[:.]/g, '').slice(0, 15)}Z-capacity`;
        const runDir = join(outDir, runId);
        if (existsSync(join(runDir, 'results.json'))) throw new UsageError(`${runDir} already holds a run`);
        mkdirSync(runDir, { recursive: true });
        process.stderr.write(`servebench: capacity ${runId} (${stacks.map((s) => s.id).join(', ')})\n`);
        const results = await runBenchmark({ settings, stacks, root: d.root, runDir, runId });
        const done = await finishRun(results, runDir, {
          thresholds,
          ...(flags.updateReadme ? { readme: join(d.root, 'README.md') } : {}),
        });
        d.pointLatest(outDir, runId);
        process.stdout.write(
          `\n${renderDecisionTable(results) || 'no capacity found'}\n\n${done.thresholdText ? `${done.thresholdText}\n\n` : ''}wrote ${runDir}/results.json and ${done.reportFile} in ${results.wallS} s\n`,
        );
        if (done.thresholdsFailed) process.exitCode = THRESHOLD_EXIT_CODE;
      },
    );

  program
    .command('check')
    .description('evaluate --threshold gates against a finished run; exit 99 when any is violated')
    .option('--run <dir-or-id>', 'run folder or id under --out', 'latest')
    .option('--out <dir>', 'results root', join(d.root, 'results'))
    .requiredOption(
      '--threshold <expr>',
      "repeatable, e.g. 'predict:p99<50ms' or 'fastify+ort:predict:errors<0.1%'",
      collect,
    )
    .action((flags: { run: string; out: string; threshold: string[] }) => {
      const thresholds = thresholdsOf(flags.threshold);
      const r = readResults(join(d.resolveRunDir(resolve(flags.out), flags.run), 'results.json'));
      const results = evaluateThresholds(thresholds, r.stacks);
      process.stdout.write(`${describeThresholds(results, thresholds)}\n`);
      if (results.some((x) => !x.pass)) process.exitCode = THRESHOLD_EXIT_CODE;
    });
}
