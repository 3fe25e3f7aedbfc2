// `servebench shape`: one stack under a load shape, either a burst (base rate, a step to a peak, back
// to base; reports how long p99 takes to recover after the step) or a replayed trace of arrival
// times; writes the p99 per window (latency over time) as JSON and an SVG.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { runConformance, TASKS, type Task } from '@servebench/contract';
import { loadSentences } from '../sentences-file.js';
import { ensureModel } from '@servebench/model';
import { discoverServers, filterStacks, stacksOf } from '../discover.js';
import { withModelServer } from '../launch/modelserver.js';
import { launchProcess } from '../launch/process.js';
import { runLoad } from '../load/engine.js';
import { SCHEMA, svgOf } from '../report/vega.js';
import { EMBED_TOLERANCE, loadOracle } from '../run.js';
import { UsageError, resolveSettings } from '../settings.js';
import { buildWorkload } from '../workload.js';
import { ShapeError, burstOffsets, parseBurst, parseTrace, recoveryS, type Burst } from './shapes.js';

interface ShapeFlags {
  stack: string;
  task: string;
  burst?: string;
  trace?: string;
  traceUnit: 's' | 'ms';
  speed: string;
  window: string;
  recoverTo?: string;
  model?: string;
  connections: string;
  timeout: string;
  out: string;
  runId?: string;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] ?? Number.NaN;

export function registerShapeCommand(program: Command, root: string): void {
  program
    .command('shape')
    .description(
      'one HTTP stack under a load shape: --burst (base -> peak -> base; time for p99 to recover) or --trace (replayed arrival times); p99 over time',
    )
    .requiredOption('--stack <id>', 'stack to launch, e.g. fastify+ort')
    .option('--task <task>', TASKS.join(' | '), 'predict')
    .option('--burst <base:peak:before:peak:after>', 'req/s and seconds, e.g. 100:400:5:3:10')
    .option('--trace <file>', 'arrival times, one per line (any origin)')
    .option('--trace-unit <unit>', 's | ms', 's')
    .option('--speed <x>', 'replay the trace this many times faster', '1')
    .option('--window <s>', 'p99 window', '0.5')
    .option('--recover-to <ms>', 'burst: p99 limit that counts as recovered (default 1.5 x the base phase median p99)')
    .option('--model <name>', 'tiny | mini | small | base | all-minilm-l6-v2', 'mini')
    .option('--connections <n>', 'open-loop connections at most', '64')
    .option('--timeout <ms>', 'per-request timeout', '5000')
    .option('--out <dir>', 'results root', join(root, 'results'))
    .option('--run-id <id>', 'folder name (default: UTC time and "shape")')
    .action(async (f: ShapeFlags) => {
      if (!f.burst === !f.trace) throw new UsageError('give exactly one of --burst or --trace');
      if (!TASKS.includes(f.task as Task)) throw new UsageError(`--task ${f.task}: expected ${TASKS.join(', ')}`);
      const task = f.task as Task;
      const windowS = Number(f.window);
      if (!(windowS > 0)) throw new UsageError(`--window ${f.window}: expected seconds > 0`);
      let burst: Burst | undefined;
      let offsets: number[];
      try {
        burst = f.burst ? parseBurst(f.burst) : undefined;
        offsets = burst
          ? burstOffsets(burst)
          : parseTrace(readFileSync(f.trace!, 'utf8'), { unit: f.traceUnit, speed: Number(f.speed) });
      } catch (e) {
        if (e instanceof ShapeError) throw new UsageError(e.message);
        throw e;
      }
      const [stack] = filterStacks(stacksOf(discoverServers(root)), [f.stack]);
      if (!stack || stack.server.protocol !== 'http') throw new UsageError(`--stack ${f.stack}: an HTTP stack`);
      const settings = resolveSettings({ profile: 'quick', model: f.model });
      const files = await ensureModel(settings.model, { seed: settings.seed });
      const oracle = await loadOracle(files, 1);
      const runId = f.runId ?? `${new Date().toISOString().replace(/[:.]/g, '').slice(0, 15)}Z-shape`;
      const dir = join(resolve(f.out), runId);
      mkdirSync(dir, { recursive: true });
      const note = (l: string) => process.stderr.write(`servebench: ${l}\n`);
      const launch = withModelServer(launchProcess, { root, files, settings, note });
      const server = await launch(stack, {
        env: { MODEL: settings.model, MODEL_SEED: String(settings.seed) },
        readyTimeoutMs: settings.readyTimeoutS * 1000,
        logFile: join(dir, `${stack.id}.log`),
      });
      try {
        const failed = (
          await runConformance(server.baseUrl, { fast: true, embed: oracle.embed, tolerance: EMBED_TOLERANCE })
        ).filter((v) => !v.ok);
        if (failed.length) throw new Error(`${stack.id} failed verification: ${failed.map((x) => x.id).join(', ')}`);
        const durationMs = Math.ceil(offsets[offsets.length - 1]! + 1);
        note(`${stack.id}: ${offsets.length} arrivals over ${(durationMs / 1000).toFixed(1)} s`);
        const load = await runLoad({
          host: server.host,
          port: server.port,
          ...(await buildWorkload(task, loadSentences(settings.sentences), oracle, EMBED_TOLERANCE)),
          mode: 'open',
          concurrency: Number(f.connections),
          rate: (offsets.length * 1000) / durationMs,
          arrivalOffsetsMs: offsets,
          warmupMs: 0,
          durationMs,
          windowMs: windowS * 1000,
          timeoutMs: Number(f.timeout),
        });
        const p99s = load.windows.map((w) => w.p99);
        let recovery: { limitMs: number; recoveryS: number | null } | undefined;
        if (burst) {
          const base = median(p99s.slice(0, Math.floor(burst.beforeS / windowS)));
          const limitMs = f.recoverTo ? Number(f.recoverTo) : 1.5 * base;
          recovery = { limitMs, recoveryS: recoveryS(p99s, windowS, burst.beforeS + burst.peakS, limitMs) };
        }
        const { cdf: _cdf, ...kept } = load;
        writeFileSync(
          join(dir, 'shape.json'),
          `${JSON.stringify({ stack: stack.id, task, model: settings.model, burst, trace: f.trace, windowS, recovery, load: kept }, null, 2)}\n`,
        );
        writeFileSync(
          join(dir, 'latency-over-time.svg'),
          await svgOf({
            $schema: SCHEMA,
            title: `${stack.id} ${task}: p99 per ${windowS} s window`,
            data: { values: load.windows.map((w) => ({ t: w.startS, p99: w.p99, rps: w.rps })) },
            width: 600,
            height: 220,
            mark: { type: 'line', point: true },
            encoding: {
              x: { field: 't', type: 'quantitative', title: 'seconds' },
              y: { field: 'p99', type: 'quantitative', title: 'p99 ms' },
            },
          }),
        );
        const errors = Object.values(load.errors).reduce((a, b) => a + b, 0);
        process.stdout.write(
          `${stack.id} ${task}: ${load.successes} verified, ${errors} errors, p99 ${load.latencyMs.p99.toFixed(2)} ms overall${
            recovery
              ? `; p99 back under ${recovery.limitMs.toFixed(1)} ms ${recovery.recoveryS === null ? 'never (within the run)' : `${recovery.recoveryS.toFixed(1)} s after the peak`}`
              : ''
          }\nwrote ${dir}/shape.json and latency-over-time.svg\n`,
        );
      } finally {
        await server.stop();
        await oracle.close();
      }
    });
}
