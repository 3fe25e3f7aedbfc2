// The gRPC load loops inside one worker thread; the same rules as loop.ts (HTTP): closed loop
// times send to reply, open loop times from the scheduled send, only verified replies count.
import { performance } from 'node:perf_hooks';
import type { GrpcPool } from './grpc-client.js';
import type { GrpcWorkerShare } from './grpc-types.js';
import { Recorder, type WorkerResult } from './record.js';
import { interArrivals } from './schedule.js';

// After a refused connection, retrying at once would spin the loop; the errors are still counted.
const CONNECT_BACKOFF_MS = 10;
const LATE_MS = 1;

export function runGrpcShare(share: GrpcWorkerShare, pool: GrpcPool, startAt: number): Promise<WorkerResult> {
  return share.mode === 'closed' ? runClosed(share, pool, startAt) : runOpen(share, pool, startAt);
}

function runClosed(share: GrpcWorkerShare, pool: GrpcPool, startAt: number): Promise<WorkerResult> {
  const n = pool.size;
  const measStart = startAt + share.warmupMs;
  const measEnd = measStart + share.durationMs;
  const rec = new Recorder(Math.max(1, Math.ceil(share.durationMs / share.windowMs)));
  const timers = new Set<NodeJS.Timeout>();
  let rr = 0;
  let stopped = false;
  let elu0 = performance.eventLoopUtilization();

  return new Promise((resolve) => {
    const later = (ms: number, fn: () => void): void => {
      const t = setTimeout(() => {
        timers.delete(t);
        fn();
      }, ms);
      timers.add(t);
    };
    const stop = (at: number): void => {
      if (stopped) return;
      stopped = true;
      const elu = performance.eventLoopUtilization(elu0).utilization;
      for (const t of timers) clearTimeout(t);
      // Calls in flight at the end are abandoned, not counted (as wrk and the HTTP engine do).
      pool.close();
      resolve(rec.result(elu, Math.max(0, Math.min(at, measEnd) - measStart)));
    };
    const next = (slot: number): void => {
      if (stopped) return;
      const i = rr;
      rr = rr + 1 === n ? 0 : rr + 1;
      const sentAt = performance.now();
      pool.send(i, slot, (cls, serverTiming) => {
        if (stopped) return;
        const now = performance.now();
        if (now >= measEnd) return stop(now);
        if (now >= measStart) {
          if (cls === null) rec.success(now - sentAt, Math.floor((now - measStart) / share.windowMs), serverTiming);
          else rec.error(cls);
          if (share.maxRequests !== undefined && rec.total >= share.maxRequests) return stop(now);
        }
        if (cls === 'connect' || cls === 'grpc_UNAVAILABLE') later(CONNECT_BACKOFF_MS, () => next(slot));
        else next(slot);
      });
    };
    later(Math.max(0, startAt - performance.now()), () => {
      for (let slot = 0; slot < share.connections; slot++) next(slot);
    });
    later(Math.max(0, measStart - performance.now()), () => {
      elu0 = performance.eventLoopUtilization();
    });
    later(Math.max(0, measEnd - performance.now()), () => stop(performance.now()));
  });
}

interface Pending {
  sched: number;
  i: number;
  counted: boolean;
}

function runOpen(share: GrpcWorkerShare, pool: GrpcPool, startAt: number): Promise<WorkerResult> {
  if (share.rate === undefined || !(share.rate > 0)) throw new Error('open loop needs rate > 0');
  const n = pool.size;
  const measStart = startAt + share.warmupMs;
  const measEnd = measStart + share.durationMs;
  const rec = new Recorder(Math.max(1, Math.ceil(share.durationMs / share.windowMs)));
  const gap = interArrivals(share.rate, share.arrivals, share.seed);
  const maxBacklog = Math.min(100_000, Math.max(share.connections, Math.ceil((share.rate * share.timeoutMs) / 1000)));
  const open = { scheduled: 0, sent: 0, late: 0, dropped: 0 };
  // In-flight slots free for a call; the slot also picks the channel.
  const idle = Array.from({ length: share.connections }, (_, k) => share.connections - 1 - k);
  const backlog: Pending[] = [];
  let head = 0;
  let pendingCounted = 0;
  let nextSched = startAt;
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
      pool.close();
      if (pendingCounted > 0) rec.error('timeout', pendingCounted);
      resolve(rec.result(eluEnd ?? performance.eventLoopUtilization(elu0).utilization, Math.max(0, endedAt - measStart), open));
    };
    const maybeFinish = (): void => {
      if (!scheduling && pendingCounted === 0) finish();
    };
    const fire = (slot: number, p: Pending): void => {
      if (p.counted) {
        open.sent++;
        if (performance.now() - p.sched > LATE_MS) open.late++;
      }
      pool.send(p.i, slot, (cls, serverTiming) => {
        if (finished) return;
        if (p.counted) {
          // Latency from the scheduled time, so queueing behind a stall is charged (no coordinated omission).
          if (cls === null) rec.success(performance.now() - p.sched, Math.floor((p.sched - measStart) / share.windowMs), serverTiming);
          else rec.error(cls);
          pendingCounted--;
        }
        release(slot);
      });
    };
    const release = (slot: number): void => {
      const now = performance.now();
      if (head > 1024 && head * 2 > backlog.length) {
        backlog.splice(0, head);
        head = 0;
      }
      while (head < backlog.length) {
        const p = backlog[head++]!;
        if (now - p.sched <= share.timeoutMs) return fire(slot, p);
        if (p.counted) {
          open.dropped++;
          rec.error('dropped');
          pendingCounted--;
        }
      }
      backlog.length = head = 0;
      idle.push(slot);
      maybeFinish();
    };
    const dispatch = (p: Pending): void => {
      const slot = idle.pop();
      if (slot !== undefined) fire(slot, p);
      else if (backlog.length - head < maxBacklog) backlog.push(p);
      else if (p.counted) {
        open.dropped++;
        rec.error('dropped');
        pendingCounted--;
      }
    };
    const stopScheduling = (at: number): void => {
      scheduling = false;
      endedAt = Math.min(at, measEnd);
      eluEnd = performance.eventLoopUtilization(elu0).utilization;
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
          if (open.scheduled === 0) elu0 = performance.eventLoopUtilization();
          open.scheduled++;
          pendingCounted++;
        }
        const i = rr;
        rr = rr + 1 === n ? 0 : rr + 1;
        dispatch({ sched: nextSched, i, counted });
        nextSched += gap();
      }
      // Timers fire up to 1 ms early against the loop clock; bridge the last bit with setImmediate.
      const delay = nextSched - performance.now();
      if (delay >= 1) tick = setTimeout(onTick, delay);
      else immediate = setImmediate(onTick);
    };
    tick = setTimeout(onTick, Math.max(0, startAt - performance.now()));
  });
}
