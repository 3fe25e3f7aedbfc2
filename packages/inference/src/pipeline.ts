import { rowOf, type Backend, type Embeddings } from './backend.js';
import { packBatch } from './batch.js';
import { SerialQueue } from './queue.js';
import type { WordPieceTokenizer } from './tokenizer/index.js';

export interface LayerTiming {
  queue: number;
  tokenize: number;
  infer: number;
}

export interface PredictResult {
  vectors: Float32Array[];
  timing: LayerTiming;
  batch: number;
  seqLen: number;
}

/**
 * tokenize -> pad -> backend, with per-layer timings (ms). Servers and the runner's in-process
 * `raw` ceiling both use this, so the raw row differs from a stack only by the server around it.
 */
export class Pipeline {
  private readonly queue: SerialQueue;

  constructor(
    readonly tokenizer: WordPieceTokenizer,
    readonly backend: Backend,
    opts: { maxQueue: number },
  ) {
    this.queue = new SerialQueue(opts.maxQueue);
  }

  get queueDepth(): number {
    return this.queue.depth;
  }

  tokenize(texts: readonly string[]): { ids: number[][]; ms: number } {
    const t0 = performance.now();
    const ids = texts.map((t) => this.tokenizer.encode(t));
    return { ids, ms: performance.now() - t0 };
  }

  async predict(texts: readonly string[], signal?: AbortSignal): Promise<PredictResult> {
    const tok = this.tokenize(texts);
    const batch = packBatch(tok.ids, this.tokenizer.padId);
    let inferMs = 0;
    const { value, waitedMs } = await this.queue.run(async () => {
      const t0 = performance.now();
      const out: Embeddings = await this.backend.embed(batch, signal);
      inferMs = performance.now() - t0;
      return out;
    }, signal);
    const vectors = Array.from({ length: value.batch }, (_, i) => rowOf(value, i));
    return { vectors, timing: { queue: waitedMs, tokenize: tok.ms, infer: inferMs }, batch: batch.batch, seqLen: batch.seqLen };
  }
}

/** `queue;dur=0.010, tokenize;dur=0.021, infer;dur=0.612` (milliseconds), the Server-Timing header value. */
export function serverTiming(t: Partial<LayerTiming>): string {
  return Object.entries(t)
    .map(([k, v]) => `${k};dur=${(v as number).toFixed(3)}`)
    .join(', ');
}
