// The gRPC load loops inside one worker thread; the same rules as loop.ts (HTTP): closed loop
// times send to reply, open loop times from the scheduled send, only verified replies count.
import { performance } from 'node:perf_hooks';
import type { GrpcPool, GrpcReply } from './grpc-client.js';
import type { GrpcWorkerShare } from './grpc-types.js';
import { runOpenLoop, type Verdict } from './open-loop.js';
import { Recorder, type WorkerResult } from './record.js';
import { Timers } from './timers.js';

// After a refused connection, retrying at once would spin the loop; the errors are still counted.
const CONNECT_BACKOFF_MS = 10;

export function runGrpcShare(share: GrpcWorkerShare, pool: GrpcPool, startAt: number): Promise<WorkerResult> {
  return share.mode === 'closed' ? runClosed(share, pool, startAt) : runOpen(share, pool, startAt);
}

function runClosed(share: GrpcWorkerShare, pool: GrpcPool, startAt: number): Promise<WorkerResult> {
  const n = pool.size;
  const measStart = startAt + share.warmupMs;
  const measEnd = measStart + share.durationMs;
  const rec = new Recorder(Math.max(1, Math.ceil(share.durationMs / share.windowMs)));
  const timers = new Timers();
  let rr = 0;
  let stopped = false;
  let elu0 = performance.eventLoopUtilization();

  return new Promise((resolve) => {
    const stop = (at: number): void => {
      if (stopped) return;
      stopped = true;
      const elu = performance.eventLoopUtilization(elu0).utilization;
      timers.clear();
      // Calls in flight at the end are abandoned, not counted (as wrk and the HTTP engine do).
      pool.close();
      resolve(rec.result(elu, Math.max(0, Math.min(at, measEnd) - measStart)));
    };
    const next = (slot: number): void => {
      if (stopped) return;
      const i = rr;
      rr = rr + 1 === n ? 0 : rr + 1;
      const sentAt = performance.now();
      pool.send(i, slot, (reply) => {
        if (stopped) return;
        const now = performance.now();
        if (now >= measEnd) return stop(now);
        const cls = pool.verdict(i, reply); // after the timestamp: checking is not the server's time
        if (now >= measStart) {
          if (cls === null)
            rec.success(now - sentAt, Math.floor((now - measStart) / share.windowMs), reply.serverTiming);
          else rec.error(cls);
          if (share.maxRequests !== undefined && rec.total >= share.maxRequests) return stop(now);
        }
        if (cls === 'connect' || cls === 'grpc_UNAVAILABLE') timers.later(CONNECT_BACKOFF_MS, () => next(slot));
        else next(slot);
      });
    };
    timers.later(Math.max(0, startAt - performance.now()), () => {
      for (let slot = 0; slot < share.connections; slot++) next(slot);
    });
    timers.later(Math.max(0, measStart - performance.now()), () => {
      elu0 = performance.eventLoopUtilization();
    });
    timers.later(Math.max(0, measEnd - performance.now()), () => stop(performance.now()));
  });
}

function runOpen(share: GrpcWorkerShare, pool: GrpcPool, startAt: number): Promise<WorkerResult> {
  // Slots are fixed stream positions 0..connections-1 (the slot also picks the channel), handed
  // out lowest first; the open loop timestamps a reply before it judges it.
  let opened = 0;
  return runOpenLoop<number, GrpcReply>(share, pool.size, startAt, {
    openSlot: () => (opened < share.connections ? opened++ : undefined),
    send: (slot, i, onReply) => pool.send(i, slot, onReply),
    judge: (reply, i): Verdict => ({ cls: pool.verdict(i, reply), serverTiming: reply.serverTiming }),
    close: () => pool.close(),
  });
}
