// The open-loop scheduler shared by the HTTP/1.1 (loop.ts) and gRPC (grpc-loop.ts) workers.
// Requests are sent at scheduled times whatever the server does; a request that finds no free
// slot waits in a bounded backlog, and its latency is still counted from the scheduled time.
import { performance } from 'node:perf_hooks';
import type { WorkerShare } from './loop.js';
import { Recorder, type WorkerResult } from './record.js';
import { interArrivals } from './schedule.js';

// A send more than this after its scheduled time counts as late. Waking a timer on a shared VM costs
// 1-2 ms (a 1 ms bound marked 3-12% of sends late even at 8 req/s); 5 ms means the client fell behind.
// Latency is charged from the scheduled time either way.
export const LATE_MS = 5;

/**
 * The part of a worker share the scheduler reads; GrpcWorkerShare has the same fields.
 * `connections` bounds the requests in flight.
 */
export type OpenLoopShare = Pick<
  WorkerShare,
  | 'connections'
  | 'rate'
  | 'arrivals'
  | 'seed'
  | 'warmupMs'
  | 'durationMs'
  | 'maxRequests'
  | 'windowMs'
  | 'timeoutMs'
  | 'offsetsMs'
>;

/** How one reply is scored: cls null means success. */
export interface Verdict {
  cls: string | null;
  serverTiming: string | undefined;
}

/**
 * What differs between transports. A slot carries one request at a time (an HTTP/1.1 connection,
 * a gRPC stream slot); `Reply` is whatever the transport hands back before it is scored.
 */
export interface OpenLoopTransport<Slot, Reply> {
  /** A further slot when none is idle, or undefined when `connections` are already open. */
  openSlot(): Slot | undefined;
  /** Sends request `i` on `slot` and calls `onReply` once when it completes or fails. */
  send(slot: Slot, i: number, onReply: (reply: Reply) => void): void;
  /** Scores a measured reply; called after the completion time is read, so checking is not timed. */
  judge(reply: Reply, i: number): Verdict;
  /** Closes every slot; calls still in flight are abandoned. */
  close(): void;
}

interface Pending {
  sched: number;
  i: number;
  /** Scheduled inside the measurement window (not warm-up). */
  counted: boolean;
}

/** FIFO without Array.shift's O(n) copies. */
class Queue<T> {
  private items: T[] = [];
  private head = 0;
  get length(): number {
    return this.items.length - this.head;
  }
  push(x: T): void {
    this.items.push(x);
  }
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const x = this.items[this.head++];
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return x;
  }
}

/**
 * Gaps between explicit send times; after the last, one gap past `endMs` (so scheduling stops there).
 */
export function offsetGaps(offsets: readonly number[], endMs: number): () => number {
  let k = 0;
  return () => {
    k++;
    if (k < offsets.length) return offsets[k]! - offsets[k - 1]!;
    return Math.max(1, endMs - (offsets[offsets.length - 1] ?? 0) + 1);
  };
}

/**
 * Runs `share` open-loop from `startAt` (this thread's performance.now() clock), sending the
 * `requestCount` requests round-robin at the share's rate over `transport`.
 */
export function runOpenLoop<Slot, Reply>(
  share: OpenLoopShare,
  requestCount: number,
  startAt: number,
  transport: OpenLoopTransport<Slot, Reply>,
): Promise<WorkerResult> {
  const rate = share.rate;
  if (rate === undefined || !(rate > 0)) throw new Error('open loop needs rate > 0');
  const n = requestCount;
  const measStart = startAt + share.warmupMs;
  const measEnd = measStart + share.durationMs;
  const rec = new Recorder(Math.max(1, Math.ceil(share.durationMs / share.windowMs)));
  const offsets = share.offsetsMs;
  const gap = offsets ? offsetGaps(offsets, measEnd - startAt) : interArrivals(rate, share.arrivals, share.seed);
  // Room for about one timeout's worth of arrivals; beyond that the server is hopelessly behind.
  const maxBacklog = Math.min(100_000, Math.max(share.connections, Math.ceil((rate * share.timeoutMs) / 1000)));
  const open = { scheduled: 0, sent: 0, late: 0, dropped: 0 };
  const idle: Slot[] = [];
  const backlog = new Queue<Pending>();
  let pendingCounted = 0; // counted requests not yet resolved (in flight or in backlog)
  let nextSched = startAt + (offsets?.[0] ?? 0);
  let rr = 0;
  let scheduling = true;
  let finished = false;
  let endedAt = measEnd;
  let elu0 = performance.eventLoopUtilization();
  let eluEnd: number | null = null;
  let tick: NodeJS.Timeout | null = null;
  let immediate: NodeJS.Immediate | null = null;
  let drain: NodeJS.Timeout | null = null;

  return new Promise((resolve) => {
    const finish = (): void => {
      if (finished) return;
      finished = true;
      if (tick) clearTimeout(tick);
      if (immediate) clearImmediate(immediate);
      if (drain) clearTimeout(drain);
      transport.close();
      // Anything still unresolved at the hard deadline never got an answer in time.
      if (pendingCounted > 0) rec.error('timeout', pendingCounted);
      const elu = eluEnd ?? performance.eventLoopUtilization(elu0).utilization;
      resolve(rec.result(elu, Math.max(0, endedAt - measStart), open));
    };

    const maybeFinish = (): void => {
      if (!scheduling && pendingCounted === 0) finish();
    };

    const drop = (p: Pending): void => {
      if (!p.counted) return;
      open.dropped++;
      rec.error('dropped');
      pendingCounted--;
    };

    const fire = (slot: Slot, p: Pending): void => {
      if (p.counted) {
        open.sent++;
        if (performance.now() - p.sched > LATE_MS) open.late++;
      }
      transport.send(slot, p.i, (reply) => {
        if (finished) return;
        if (p.counted) {
          // Latency from the *scheduled* time, so queueing behind a stall is charged (no coordinated omission).
          const done = performance.now();
          const { cls, serverTiming } = transport.judge(reply, p.i);
          if (cls === null)
            rec.success(done - p.sched, Math.floor((p.sched - measStart) / share.windowMs), serverTiming);
          else rec.error(cls);
          pendingCounted--;
        }
        release(slot);
      });
    };

    /** A slot came free: give it the oldest backlog entry that has not waited past the timeout. */
    const release = (slot: Slot): void => {
      const now = performance.now();
      for (let p = backlog.shift(); p; p = backlog.shift()) {
        if (now - p.sched > share.timeoutMs) {
          drop(p);
          continue;
        }
        fire(slot, p);
        return;
      }
      idle.push(slot);
      maybeFinish();
    };

    const dispatch = (p: Pending): void => {
      const slot = idle.pop() ?? transport.openSlot();
      if (slot !== undefined) fire(slot, p);
      else if (backlog.length < maxBacklog) backlog.push(p);
      else drop(p);
    };

    const stopScheduling = (at: number): void => {
      scheduling = false;
      endedAt = Math.min(at, measEnd);
      eluEnd = performance.eventLoopUtilization(elu0).utilization;
      // Drain: queued requests may wait up to timeoutMs, then get up to timeoutMs on the wire.
      drain = setTimeout(finish, 2 * share.timeoutMs + 100);
      maybeFinish();
    };

    const onTick = (): void => {
      tick = null;
      immediate = null;
      const now = performance.now();
      while (nextSched <= now) {
        if (nextSched >= measEnd) return stopScheduling(measEnd);
        const counted = nextSched >= measStart;
        if (counted) {
          if (share.maxRequests !== undefined && open.scheduled >= share.maxRequests) return stopScheduling(nextSched);
          // The ELU window starts at the first measured send, as the latency window does.
          if (open.scheduled === 0) elu0 = performance.eventLoopUtilization();
          open.scheduled++;
          pendingCounted++;
        }
        const i = rr;
        rr = rr + 1 === n ? 0 : rr + 1;
        dispatch({ sched: nextSched, i, counted });
        nextSched += gap();
      }
      arm(nextSched);
    };

    // Timers have 1 ms granularity against a cached loop clock, so they often fire a
    // little early; the last sub-millisecond is bridged with setImmediate instead of
    // another >= 1 ms timer, which would make most sends late.
    const arm = (at: number): void => {
      const delay = at - performance.now();
      if (delay >= 1) tick = setTimeout(onTick, delay);
      else immediate = setImmediate(onTick);
    };

    arm(startAt);
  });
}
