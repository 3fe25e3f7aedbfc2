import type { CountedRun } from './count.js';

/** The runtimes a stack's predict throughput is bounded by. */
export const CEILING_RUNTIMES = ['ort-node', 'ort-python', 'tfjs-wasm'] as const;
export type CeilingRuntime = (typeof CEILING_RUNTIMES)[number];

/** What the parent sends a ceiling child on stdin. */
export interface CeilingChildJob {
  runtime: CeilingRuntime;
  onnx: string;
  /** Pre-tokenized sequences (the runner's tokenizer), cycled in order. */
  ids: number[][];
  threads: number;
  /** Sequences per call (the servers' max batch size; 1 = no batching). */
  batch: number;
  warmupMs: number;
  durationMs: number;
  windowMs: number;
}

export type CeilingChildReply =
  { ok: true; run: CountedRun; info: Record<string, string> } | { ok: false; error: string; unavailable?: boolean };
