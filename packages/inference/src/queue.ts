import { BackendError } from './backend.js';

export class QueueFullError extends Error {
  /** `what` names the unit of the limit: requests waiting, or tokens of work admitted. */
  constructor(
    readonly limit: number,
    what = 'waiting',
  ) {
    super(`the inference queue is full (${limit} ${what}); retry later`);
    this.name = 'QueueFullError';
  }
}

/**
 * Runs backend calls in arrival order, at most `concurrency` at once, with a bounded wait list, so
 * that overload is shed at the door instead of piling up memory. Reports how long each call waited.
 * An in-process model computes one batch at a time (concurrency 1); a model server has its own
 * scheduler and batcher, so a proxy keeps several calls in flight, one per connection.
 */
export class WorkQueue {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly maxWaiting: number,
    private readonly concurrency = 1,
  ) {}

  get depth(): number {
    return this.waiting.length + this.running;
  }

  async run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<{ value: T; waitedMs: number }> {
    const t0 = performance.now();
    if (this.running < this.concurrency) this.running++;
    else {
      if (this.waiting.length >= this.maxWaiting) throw new QueueFullError(this.maxWaiting);
      // Woken by a finishing call, which hands over its slot (running stays the same).
      await new Promise<void>((resolve, reject) => {
        const go = () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        const onAbort = () => {
          const i = this.waiting.indexOf(go);
          if (i >= 0) this.waiting.splice(i, 1);
          reject(new BackendError('BACKEND_TIMEOUT', 'request was cancelled while queued'));
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        this.waiting.push(go);
      });
    }
    const waitedMs = performance.now() - t0;
    try {
      return { value: await fn(), waitedMs };
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
