import { BackendError } from './backend.js';

export class QueueFullError extends Error {
  constructor(readonly limit: number) {
    super(`the inference queue is full (${limit} waiting); retry later`);
    this.name = 'QueueFullError';
  }
}

/**
 * Runs backend calls one at a time in arrival order, with a bounded wait list, so that overload
 * is shed at the door instead of piling up memory. Reports how long each call waited.
 */
export class SerialQueue {
  private running = false;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly maxWaiting: number) {}

  get depth(): number {
    return this.waiting.length + (this.running ? 1 : 0);
  }

  async run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<{ value: T; waitedMs: number }> {
    const t0 = performance.now();
    if (this.running) {
      if (this.waiting.length >= this.maxWaiting) throw new QueueFullError(this.maxWaiting);
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
    this.running = true;
    const waitedMs = performance.now() - t0;
    try {
      return { value: await fn(), waitedMs };
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running = false;
    }
  }
}
