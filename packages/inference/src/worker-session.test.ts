import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { packBatch } from './batch.js';
import type { ModelWorkerReply, ModelWorkerRequest } from './model-thread.js';
import { OrtBackend } from './ort.js';
import { Pipeline } from './pipeline.js';
import { WordPieceTokenizer } from './tokenizer/index.js';
import { SKIPPED_MESSAGE, WorkerSession, isCancelled, newCancelFlags, type WorkerLike } from './worker-session.js';

/** A stand-in for the model's worker thread: records what is posted to it; the test answers. */
class StandInModelWorker extends EventEmitter implements WorkerLike {
  readonly posted: ModelWorkerRequest[] = [];
  constructor(hello = false) {
    super();
    // openSession waits for the loaded session's hello (id 0) before the first call.
    if (hello) setImmediate(() => this.emit('message', { id: 0, ok: true, info: {} } satisfies ModelWorkerReply));
  }
  postMessage(m: ModelWorkerRequest): void {
    this.posted.push(m);
  }
  async terminate(): Promise<number> {
    return 0;
  }
  answer(n: number, values: number[]): void {
    const m: ModelWorkerReply = { id: this.posted[n]!.id, ok: true, data: Float32Array.from(values), dim: 2 };
    this.emit('message', m);
  }
  skip(n: number): void {
    const m: ModelWorkerReply = { id: this.posted[n]!.id, ok: false, error: SKIPPED_MESSAGE, code: 'BACKEND_TIMEOUT' };
    this.emit('message', m);
  }
}

// OrtBackend's worker thread is the stand-in: no model, no thread.
const spawned = vi.hoisted(() => [] as StandInModelWorker[]);
vi.mock('./worker-spawn.js', () => ({ spawnWorker: () => spawnStandIn() }));
function spawnStandIn(): StandInModelWorker {
  const w = new StandInModelWorker(true);
  spawned.push(w);
  return w;
}

const turns = async (n = 5) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};
const tokenizer = () =>
  WordPieceTokenizer.fromVocabText(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'a', 'b', 'c'].join('\n'), {
    maxLength: 16,
  });

async function ortOnStandIn(): Promise<{ backend: OrtBackend; worker: StandInModelWorker }> {
  const backend = new OrtBackend({ modelPath: 'unused.onnx', device: 'cpu', intraOpThreads: 1, interOpThreads: 1 });
  await backend.load();
  return { backend, worker: spawned.at(-1)! };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('OrtBackend on a worker thread (stand-in worker)', () => {
  it('posts the second request to the worker before the first reply is consumed, and no third', async () => {
    const { backend, worker } = await ortOnStandIn();
    expect(backend.concurrency).toBe(2);
    const pipeline = new Pipeline(tokenizer(), backend, { maxQueue: 10 });
    const [a, b, c] = ['a', 'b', 'c'].map((t) => pipeline.predict([t]));
    await turns();
    expect(worker.posted.map((m) => Array.from(m.inputIds, Number))).toEqual([
      [2, 5, 3],
      [2, 6, 3],
    ]);
    worker.answer(0, [0.5, -1]);
    await turns();
    expect(worker.posted).toHaveLength(3); // c is posted once a's reply is in: still at most 2 in flight
    worker.answer(1, [1.5, 2]);
    worker.answer(2, [3, 4]);
    const [ra, rb, rc] = await Promise.all([a, b, c]);
    expect([ra, rb, rc].map((r) => Array.from(r!.vectors[0]!))).toEqual([
      [0.5, -1],
      [1.5, 2],
      [3, 4],
    ]);
    await backend.close();
  });

  it('counts the time a request waited behind the call in flight as queue, not infer (Server-Timing)', async () => {
    const { backend, worker } = await ortOnStandIn();
    vi.useFakeTimers({ toFake: ['performance'] });
    const pipeline = new Pipeline(tokenizer(), backend, { maxQueue: 10 });
    const a = pipeline.predict(['a']);
    const b = pipeline.predict(['b']);
    await turns();
    expect(worker.posted).toHaveLength(2);
    vi.advanceTimersByTime(5);
    worker.answer(0, [1, 1]); // b starts on the worker now
    await turns();
    vi.advanceTimersByTime(4);
    worker.answer(1, [2, 2]);
    expect((await a).timing).toMatchObject({ queue: 0, infer: 5 });
    expect((await b).timing).toMatchObject({ queue: 5, infer: 4 });
    await backend.close();
  });

  it('is one call at a time on the main thread', async () => {
    const backend = new OrtBackend({
      modelPath: 'unused.onnx',
      device: 'cpu',
      intraOpThreads: 1,
      interOpThreads: 1,
      thread: 'main',
    });
    expect(backend.concurrency).toBe(1);
  });
});

describe('WorkerSession (stand-in worker)', () => {
  const open = (now?: () => number) => {
    const worker = new StandInModelWorker();
    const flags = newCancelFlags();
    return {
      worker,
      flags,
      session: new WorkerSession(worker, { info: {}, label: 'stand-in', cancelFlags: flags, now }),
    };
  };

  it('flags a call cancelled while it waits for the worker to skip, and rejects it when skipped', async () => {
    const { worker, flags, session } = open();
    const ac = new AbortController();
    const a = session.run(packBatch([[1]]));
    const b = session.run(packBatch([[2]]), ac.signal);
    ac.abort();
    expect(isCancelled(flags, worker.posted[1]!.id)).toBe(true);
    expect(isCancelled(flags, worker.posted[0]!.id)).toBe(false);
    worker.answer(0, [1, 2]);
    worker.skip(1);
    await expect(a).resolves.toMatchObject({ dim: 2 });
    await expect(b).rejects.toMatchObject({ code: 'BACKEND_TIMEOUT', message: SKIPPED_MESSAGE });
    // Already aborted: never posted.
    await expect(session.run(packBatch([[3]]), ac.signal)).rejects.toMatchObject({ code: 'BACKEND_TIMEOUT' });
    expect(worker.posted).toHaveLength(2);
  });

  it('reports each call’s wait behind the one before it, from the main thread’s clock', async () => {
    let t = 0;
    const { worker, session } = open(() => t);
    const a = session.run(packBatch([[1]]));
    t = 1;
    const b = session.run(packBatch([[2]]));
    t = 7;
    worker.answer(0, [0, 0]);
    t = 9;
    worker.answer(1, [0, 0]);
    expect((await a).waitedMs).toBe(0);
    expect((await b).waitedMs).toBe(6);
  });

  it('rejects every call in flight, and later ones, when the thread exits', async () => {
    const { worker, session } = open();
    const calls = [session.run(packBatch([[1]])), session.run(packBatch([[2]]))];
    worker.emit('exit', 1);
    for (const c of calls) await expect(c).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
    await expect(session.run(packBatch([[3]]))).rejects.toThrow(/thread stopped: exit code 1/);
  });
});
