// A runtime ceiling as a round participant: measured every round beside the stacks (like the
// calibration references), one predict cell at concurrency 1 (an in-process model runs one batch at
// a time), counted like the engine. Its cells live in results.calibration as `ceiling-<runtime>`.
import type { ModelFiles } from '@servebench/model';
import type { LoadResult } from '../load/types.js';
import type { RunSettings } from '../profiles.js';
import type { CellResult, RoundResult } from '../results.js';
import { roundOf } from '../rounds/cell.js';
import type { CellKey, Participant } from '../rounds/participant.js';
import { measureCeiling, type CeilingRuntime } from './ceiling.js';
import type { CountedRun } from './count.js';

export interface CeilingContext {
  settings: RunSettings;
  files: ModelFiles;
  texts: readonly string[];
  root: string;
  note(line: string): void;
}

/** Warm-up of a ceiling cell at least this long (after one call per padded shape, see ceiling-node.ts). */
export const CEILING_MIN_WARMUP_S = 1.5;

export const ceilingId = (runtime: CeilingRuntime) => `ceiling-${runtime}`;

export const CEILING_WHAT: Record<CeilingRuntime, string> = {
  'ort-node': 'ceiling: onnxruntime-node on its model worker thread, back-to-back predict on pre-tokenized input',
  'ort-python': 'ceiling: onnxruntime (Python) through the servers’ OrtBackend, back-to-back on pre-tokenized input',
  'tfjs-wasm': 'ceiling: tfjs-wasm on its model worker thread, back-to-back predict on pre-tokenized input',
};

/** A LoadResult from a ceiling's count: req/s and windows only (no per-call latency histogram). */
export function loadOfCount(run: CountedRun, windowS: number): LoadResult {
  const zero = { count: 0, min: 0, mean: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0, max: 0 };
  return {
    mode: 'closed',
    concurrency: 1,
    durationS: run.durationS,
    successes: run.completed,
    errors: {},
    rps: run.rps,
    latencyMs: { ...zero, count: run.completed, mean: run.meanCallMs },
    cdf: [],
    windows: run.windows.map((rps, i) => ({
      startS: i * windowS,
      successes: Math.round(rps * windowS),
      rps,
      p50: 0,
      p99: 0,
    })),
    serverTiming: {},
    clientElu: 0,
    threads: 1,
  };
}

export class CeilingParticipant implements Participant {
  readonly matrix: readonly CellKey[] = [{ task: 'predict', concurrency: 1 }];
  private unavailable: string | undefined;
  constructor(
    readonly runtime: CeilingRuntime,
    private readonly entry: { cells: CellResult[]; status: string; reason?: string },
    private readonly ctx: CeilingContext,
  ) {}
  get id() {
    return ceilingId(this.runtime);
  }
  get cells() {
    return this.entry.cells;
  }
  active() {
    return this.unavailable === undefined;
  }
  async begin() {
    return this.active();
  }
  async measure(_k: CellKey, round: number): Promise<RoundResult | undefined> {
    const s = this.ctx.settings;
    const startedAt = new Date().toISOString();
    const r = await measureCeiling({
      runtime: this.runtime,
      root: this.ctx.root,
      onnx: this.ctx.files.onnx,
      vocab: this.ctx.files.vocab,
      ...this.ctx.files.tokenizer, // the checkpoint's tokenizer settings (max length 256 for all-MiniLM-L6-v2)
      texts: this.ctx.texts,
      threads: s.intraOpThreads,
      batch: s.maxBatchSize,
      // A fresh process every round, compared with servers kept up all run: its JIT has not met the work yet.
      warmupMs: Math.max(s.warmupS, CEILING_MIN_WARMUP_S) * 1000,
      durationMs: s.durationS * 1000,
      windowMs: s.windowS * 1000,
      ...(s.placement ? { cpus: s.placement.server } : {}),
    });
    if (r.status !== 'ok') {
      // Unavailable (no Python venv): recorded once, not retried; failed: this round is unusable.
      this.entry.reason = r.reason;
      if (r.status === 'unavailable') {
        this.unavailable = r.reason;
        this.entry.status = 'failed';
        this.ctx.note(`${this.id}: not measured: ${r.reason}`);
        return undefined;
      }
    }
    const load = loadOfCount(
      r.status === 'ok' ? r : { completed: 0, durationS: s.durationS, rps: 0, windows: [], meanCallMs: 0 },
      s.windowS,
    );
    return roundOf(s, round, startedAt, load, {
      notClientBound: true,
      ...(r.status === 'ok' ? {} : { failed: r.reason }),
    });
  }
  async end() {}
  async close() {}
}
