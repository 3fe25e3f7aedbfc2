#!/usr/bin/env node
import { existsSync, mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { registerAgentCommands } from './agents/command.js';
import { registerK8sCommands } from './k8s/command.js';
import { registerCapacityCommands, thresholdsOf } from './capacity/command.js';
import { compareRuns } from './compare.js';
import { captureEnvironment, machineStamp } from './environment.js';
import { runPerf } from './perf.js';
import { crossCheck } from './crosscheck.js';
import { DiscoveryError, discoverServers, filterStacks, repoRoot, stacksOf } from './discover.js';
import { readResults } from './results.js';
import { reliabilityOk, reliabilityReport, renderReliability, reportStacks } from './reliability/report.js';
import { registerRenderStacks } from './lists/command.js';
import { renderRun, updateResultsPage } from './render/index.js';
import { registerReportCommand } from './report/command.js';
import { ScaffoldError, registerNewStack } from './scaffold/new-stack.js';
import { registerShapeCommand } from './shapes/command.js';
import { renderCompareHtml } from './report/compare-html.js';
import { finishRun } from './report/finish.js';
import { runBenchmark } from './run.js';
import { UsageError, resolveSettings, type RunFlags } from './settings.js';
import { THRESHOLD_EXIT_CODE } from './thresholds/index.js';
import { pinRunner } from './placement/apply.js';
import { pinProcess } from './placement/affinity.js';
import { availableCpus, parseCpusFlag } from './placement/cpus.js';
import { DEFAULT_PRICE_PER_CORE_HOUR, PRICE_SOURCE } from './resources/cost.js';

const root = repoRoot();
const program = new Command('servebench')
  .description('Benchmarks every servebench stack with the same matrix and writes one cross-stack results table.')
  .showHelpAfterError();

/** Points results/latest at a run, atomically. */
function pointLatest(outDir: string, runId: string): void {
  const tmp = join(outDir, `.latest-${process.pid}`);
  rmSync(tmp, { force: true });
  symlinkSync(runId, tmp);
  renameSync(tmp, join(outDir, 'latest'));
}

function resolveRunDir(outDir: string, ref: string): string {
  const dir = existsSync(ref) ? resolve(ref) : join(outDir, ref);
  if (!existsSync(join(dir, 'results.json'))) throw new UsageError(`no results.json in ${dir}`);
  return dir;
}

program
  .command('run', { isDefault: true })
  .description('launch, verify and measure every discovered stack, one at a time')
  .option(
    '--profile <name>',
    'smoke (seconds, CI) | quick (default, ~15 min on 2 cores) | full (every level, 5 rounds) | seed (BERT-base, the seed matrix)',
  )
  .option('--stacks <list>', 'comma-separated stack ids, server ids or +backend (default: all discovered)')
  .option('--tasks <list>', 'hello_world,tokenize,predict')
  .option('--concurrency <list>', 'closed-loop concurrency levels, e.g. 1,8,32,128')
  .option('--light-concurrency <list>', 'levels for hello_world and tokenize (default: the profile, or --concurrency)')
  .option('--rounds <n>', 'interleaved rounds per cell (quick 3, full and seed 5)')
  .option('--extra-rounds <n>', 'at most this many more rounds for a cell whose rounds disagree by over ±10%')
  .option('--no-calibration', 'skip the per-round calibration references (bare node:http hello, raw runtime call)')
  .option('--relaunch', 'stop every stack after its turn and relaunch it next round (default: keep stacks up)')
  .option('--duration <s>', 'measured seconds per cell')
  .option('--warmup <s>', 'warm-up seconds per cell (not counted)')
  .option('--window <s>', 'stability window seconds')
  .addOption(new Option('--mode <mode>', 'closed loop or open loop').choices(['closed', 'open']))
  .option('--rate <rps>', 'open loop: requests/s')
  .addOption(new Option('--arrivals <kind>', 'open loop arrivals').choices(['fixed', 'poisson']))
  .option(
    '--model <name>',
    'tiny | mini | small | base | all-minilm-l6-v2 | all-minilm-l6-v2-int8 | <HF dir> | <model.onnx>',
  )
  .option('--seed <n>', 'model weight seed')
  .option('--sentences <set>', 'request texts: short | medium | long | file:PATH (JSONL or text, one per line)')
  .option(
    '--texts-per-request <n>',
    'texts per tokenize/predict request, sent as {"texts": [...]} (default 1: {"text"})',
  )
  .addOption(new Option('--launcher <kind>', 'how stacks are started').choices(['process', 'compose', 'k8s']))
  .option('--k8s-namespace <ns>', '--launcher k8s: namespace for the Deployments, Services and agent Jobs (servebench)')
  .option('--k8s-tag <tag>', '--launcher k8s: image tag of servebench-node / servebench-python (local)')
  .option('--k8s-cpu <q>', '--launcher k8s: server CPU request = limit (2)')
  .option('--k8s-memory <q>', '--launcher k8s: server memory request = limit (2Gi)')
  .option('--k8s-agents <n>', '--launcher k8s: load agents per cell in the Indexed Job (2)')
  .option('--k8s-agent-cpu <q>', '--launcher k8s: agent CPU request = limit (2)')
  .option('--k8s-agent-memory <q>', '--launcher k8s: agent memory request = limit (1Gi)')
  .option('--k8s-lead <ms>', "--launcher k8s: from creating a cell's Job to the agents' common start (30000)")
  .option('--target <stack=url...>', 'measure a running endpoint for this stack: fastify+ort=http://127.0.0.1:8101')
  .option('--allow-remote', 'let --target name a host outside loopback (the results record it)')
  .option('--agents <list>', 'split every HTTP cell over load agents: local@0,local@1 | ssh://host1,host2')
  .option('--agent-lead <ms>', 'time from starting the agents to their common start (default 5000)')
  .option('--agent-command <cmd>', 'command that starts an agent on an SSH host (default: servebench agent)')
  .option('--workers <n>', 'server processes per stack (WORKERS)')
  .option(
    '--threads <n>',
    'model runtime threads (INTRA_OP_THREADS), servers, raw and ceilings alike (default: the server CPU set size)',
  )
  .option(
    '--cpus <spec>',
    'CPU placement: server=<list>,load=<list> (e.g. server=0,load=1), or none (default: first half of the CPUs for the server tree, the rest for the load engine)',
  )
  .option(
    '--price-per-core-hour <usd>',
    `USD per core-hour for the cost columns (default ${DEFAULT_PRICE_PER_CORE_HOUR}: ${PRICE_SOURCE})`,
  )
  .option(
    '--crosscheck <ids>',
    'stacks checked against wrk (HTTP) / ghz (gRPC) on hello_world after the rounds: auto (first HTTP and gRPC stack), none, or ids',
  )
  .option('--load-threads <n>', 'load generator worker threads')
  .option('--timeout <ms>', 'per-request timeout')
  .option('--max-batch-size <n>', 'dynamic batching for every stack and the raw row (1 = off)')
  .option('--max-queue-delay-us <us>', 'how long a batch may wait to fill, in microseconds')
  .option('--stack-env <id:NAME=value...>', 'extra environment for one stack, e.g. fastify+ort:MAX_BATCH_SIZE=32')
  .option('--no-raw', 'skip the in-process raw ceiling row')
  .option('--out <dir>', 'results root', join(root, 'results'))
  .option('--run-id <id>', 'name of the run folder (default: UTC time and profile)')
  .option('--extra-server <dir...>', 'also discover server workspaces in these folders')
  .option(
    '--update-readme',
    'render this run between the markers of README.md (the decision table) and docs/results.md (the full tables)',
  )
  .option('--strict', 'exit 1 when any stack failed to launch, verify or finish')
  .option('--resume <dir-or-id>', 'continue an interrupted run with its own settings (other matrix flags are ignored)')
  .option('--no-capacity', 'skip the capacity stage (quick and full search each stack after the matrix)')
  .option(
    '--slo <task:p99=ms...>',
    'capacity p99 targets, e.g. predict:p99=50 (defaults per model: see docs/measurement.md)',
  )
  .option('--capacity-rounds <n>', 'capacity searches per stack, interleaved across stacks (quick and full: 3)')
  .option(
    '--aa <stack>',
    'the A/A control: launch this stack a second time as its own participant, or none (quick and full: fastify+ort)',
  )
  .option(
    '--threshold <expr...>',
    "k6-style gates evaluated at the end, e.g. 'predict:p99<50ms' (exit 99 when violated)",
  )
  .action(
    async (
      flags: RunFlags & {
        stacks?: string;
        out: string;
        runId?: string;
        extraServer?: string[];
        updateReadme?: boolean;
        strict?: boolean;
        resume?: string;
        threshold?: string[];
      },
    ) => {
      const outDir = resolve(flags.out);
      const thresholds = thresholdsOf(flags.threshold);
      const previous = flags.resume
        ? readResults(join(resolveRunDir(outDir, flags.resume), 'results.json'))
        : undefined;
      if (previous?.status === 'complete') throw new UsageError(`run ${previous.runId} is complete; nothing to resume`);
      const settings = previous ? Object.freeze(previous.settings) : resolveSettings(flags);
      const stacks = filterStacks(stacksOf(discoverServers(root, flags.extraServer)), flags.stacks?.split(','));
      const runId =
        previous?.runId ??
        flags.runId ??
        `${new Date().toISOString().replace(/[:.]/g, '').slice(0, 15)}Z-${settings.profile}`;
      const runDir = join(outDir, runId);
      if (!previous && existsSync(join(runDir, 'results.json')))
        throw new UsageError(`${runDir} already holds a run; pick another --run-id or --resume it`);
      mkdirSync(runDir, { recursive: true });
      process.stderr.write(
        `servebench: ${previous ? 'resuming' : 'run'} ${runId}\n${JSON.stringify({ settings, stacks: stacks.map((s) => s.id), runDir }, null, 2)}\n`,
      );
      // The load engine (this process; its worker threads inherit) runs on the load set.
      pinRunner(settings.placement ?? null);
      const results = await runBenchmark({ settings, stacks, root, runDir, runId, resume: previous });
      const md = await renderRun(results, runDir);
      pointLatest(outDir, runId);
      if (flags.updateReadme) updateResultsPage(root, md);
      const done = await finishRun(results, runDir, {
        thresholds,
        ...(flags.updateReadme ? { readme: join(root, 'README.md') } : {}),
      });
      process.stdout.write(
        `\n${done.decision ? `${done.decision}\n\n` : ''}${md}\n\n${done.thresholdText ? `${done.thresholdText}\n\n` : ''}wrote ${runDir}/{results.json,results.csv,results.md,*.svg,index.html} in ${results.wallS} s\n`,
      );
      const bad = results.stacks.filter((s) => s.status !== 'ok');
      if (bad.length)
        process.stderr.write(
          `${bad.length} stack(s) not measured: ${bad.map((s) => `${s.id} (${s.status})`).join(', ')}\n`,
        );
      if (flags.strict && bad.length) process.exitCode = 1;
      if (done.thresholdsFailed) process.exitCode = THRESHOLD_EXIT_CODE;
    },
  );

registerCapacityCommands(program, { root, resolveRunDir, pointLatest });
registerAgentCommands(program);
registerK8sCommands(program, root);
registerReportCommand(program, { root, resolveRunDir });
registerShapeCommand(program, root);
registerRenderStacks(program, root);
registerNewStack(program, root);

program
  .command('list')
  .description('list the discovered stacks')
  .option('--extra-server <dir...>', 'also discover server workspaces in these folders')
  .action((flags: { extraServer?: string[] }) => {
    for (const s of stacksOf(discoverServers(root, flags.extraServer))) {
      process.stdout.write(`${s.id}\t${s.server.protocol}\t${s.server.dir}\n`);
    }
  });

program
  .command('render')
  .description(
    're-render tables and plots of a run (and optionally README.md and docs/results.md) from its results.json',
  )
  .option('--run <dir-or-id>', 'run folder or id under --out', 'latest')
  .option('--out <dir>', 'results root', join(root, 'results'))
  .option('--update-readme', 'also rewrite the decision table in README.md and the tables in docs/results.md')
  .action(async (flags: { run: string; out: string; updateReadme?: boolean }) => {
    const dir = resolveRunDir(resolve(flags.out), flags.run);
    const results = readResults(join(dir, 'results.json'));
    const md = await renderRun(results, dir);
    if (flags.updateReadme) updateResultsPage(root, md);
    await finishRun(results, dir, {
      thresholds: [],
      ...(flags.updateReadme ? { readme: join(root, 'README.md') } : {}),
    });
    process.stdout.write(`${md}\n`);
  });

program
  .command('compare')
  .description('per-cell deltas of run B against run A (folders or ids under --out)')
  .argument('<a>', 'baseline run')
  .argument('<b>', 'run to compare')
  .option('--out <dir>', 'results root', join(root, 'results'))
  .option('--html <file>', 'also write the deltas (capacity and cells) as a self-contained HTML page')
  .action((a: string, b: string, flags: { out: string; html?: string }) => {
    const out = resolve(flags.out);
    const ra = readResults(join(resolveRunDir(out, a), 'results.json'));
    const rb = readResults(join(resolveRunDir(out, b), 'results.json'));
    process.stdout.write(compareRuns(ra, rb));
    if (flags.html) writeFileSync(flags.html, renderCompareHtml(ra, rb));
  });

program
  .command('crosscheck')
  .description(
    'hello_world req/s of the runner engine against an independent tool (wrk for HTTP, ghz for gRPC) on the same server, side by side',
  )
  .requiredOption('--stack <id>', 'stack to launch, e.g. express+ort')
  .option('--connections <n>', 'connections for both tools', '64')
  .option('--duration <s>', 'seconds per measurement', '10')
  .option('--rounds <n>', 'alternating rounds of each tool', '2')
  .action(async (flags: { stack: string; connections: string; duration: string; rounds: string }) => {
    const [stack] = filterStacks(stacksOf(discoverServers(root)), [flags.stack]);
    process.stdout.write(
      await crossCheck(stack!, {
        connections: Number(flags.connections),
        durationS: Number(flags.duration),
        rounds: Number(flags.rounds),
        root,
      }),
    );
  });

program
  .command('reliability')
  .description(
    'bad-input matrix + fuzzing, overload and shutdown probes on every in-process-model stack (a fresh launch each), as one table',
  )
  .option('--stacks <list>', 'comma-separated stack ids or server ids (default: every stack without a model server)')
  .option('--out <file>', 'also write the table (markdown) here')
  .action(async (flags: { stacks?: string; out?: string }) => {
    const stacks = reportStacks(filterStacks(stacksOf(discoverServers(root)), flags.stacks?.split(',')));
    const t0 = performance.now();
    const rows = await reliabilityReport(stacks, { note: (line) => process.stderr.write(`servebench: ${line}\n`) });
    const md = `${renderReliability(rows, machineStamp(captureEnvironment(root)))}\n\n(${Math.round((performance.now() - t0) / 1000)} s, \`node runner/dist/cli.js reliability${flags.stacks ? ` --stacks ${flags.stacks}` : ''}\`)\n`;
    if (flags.out) writeFileSync(flags.out, md);
    process.stdout.write(md);
    if (!reliabilityOk(rows)) process.exitCode = 1;
  });

program
  .command('perf')
  .description('the performance targets as ratios measured side by side in one run, with pass or fail')
  .option('--duration <s>', 'seconds per measurement', '5')
  .option('--rounds <n>', 'alternating rounds per comparison (median is used)', '5')
  .option(
    '--cpus <placement>',
    'both (default: the default pinned split, then none), none, default, or server=<list>,load=<list>',
    'both',
  )
  .addOption(
    new Option('--engine <engine>', 'load generator for hello_world').choices(['wrk', 'runner']).default('wrk'),
  )
  .action(async (flags: { duration: string; rounds: string; engine: 'wrk' | 'runner'; cpus: string }) => {
    const env = captureEnvironment(root);
    const available = availableCpus();
    const specs = flags.cpus === 'both' ? [undefined, 'none'] : [flags.cpus === 'default' ? undefined : flags.cpus];
    const placements = specs.map((v) => parseCpusFlag(v, available));
    for (const placement of placements) {
      // The load engine (and wrk/ghz, its children) runs on the load set; unpinned it gets every CPU back.
      if (placement) pinRunner(placement);
      else if (placements.length > 1) pinProcess(process.pid, available);
      const { text } = await runPerf({
        root,
        durationS: Number(flags.duration),
        rounds: Number(flags.rounds),
        engine: flags.engine,
        placement,
      });
      process.stdout.write(
        `servebench perf (${flags.rounds} alternating rounds of ${flags.duration} s; medians; ${placement ? `server on CPU ${placement.server.join(',')}, load on CPU ${placement.load.join(',')}` : 'unpinned'})\nMachine: ${machineStamp(env)}\n\n${text}\n\n`,
      );
    }
  });

program.parseAsync().catch((e: unknown) => {
  if (e instanceof UsageError || e instanceof DiscoveryError || e instanceof ScaffoldError) {
    process.stderr.write(`servebench: ${e.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`servebench: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
