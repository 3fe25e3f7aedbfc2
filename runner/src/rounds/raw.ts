// In-process rows measured in rounds like a stack: the raw row (same tokenizer, queue and model, no server)
// and the raw-runtime calibration reference. The per-runtime ceilings plug in here too (see run.ts).
import type { ModelFiles } from '@servebench/model';
import type { RunSettings } from '../profiles.js';
import { runRaw } from '../raw/index.js';
import type { CellResult, RoundResult } from '../results.js';
import { roundOf } from './cell.js';
import type { CellKey, Participant } from './participant.js';

export interface RawContext {
  settings: RunSettings;
  files: ModelFiles;
  texts: string[];
}

export class RawParticipant implements Participant {
  constructor(
    readonly id: string,
    private readonly entry: { cells: CellResult[] },
    readonly matrix: readonly CellKey[],
    private readonly ctx: RawContext,
  ) {}
  get cells() {
    return this.entry.cells;
  }
  active() {
    return true;
  }
  async begin() {
    return true;
  }
  async measure(k: CellKey, round: number): Promise<RoundResult | undefined> {
    const s = this.ctx.settings;
    const startedAt = new Date().toISOString();
    const load = await runRaw({
      task: k.task as 'tokenize' | 'predict',
      onnx: this.ctx.files.onnx,
      vocab: this.ctx.files.vocab,
      ...this.ctx.files.tokenizer, // the checkpoint's tokenizer settings (max length 256 for all-MiniLM-L6-v2)
      intraOpThreads: s.intraOpThreads,
      texts: this.ctx.texts,
      concurrency: k.concurrency,
      warmupMs: s.warmupS * 1000,
      durationMs: s.durationS * 1000,
      windowMs: s.windowS * 1000,
      batching: { maxBatchSize: s.maxBatchSize, maxQueueDelayUs: s.maxQueueDelayUs },
      // Placement: computed on the server set like the servers, not on the runner's load set.
      ...(s.placement ? { cpus: s.placement.server } : {}),
    });
    // The raw loop is the work itself, so its saturated event loop is not a client bottleneck.
    return roundOf(s, round, startedAt, load, { notClientBound: true });
  }
  async end() {}
  async close() {}
}
