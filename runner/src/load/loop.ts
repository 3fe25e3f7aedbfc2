// The load loops that run inside one worker thread. Latency is timestamped
// here, in the thread that sends, from socket events on this event loop.
import { performance } from 'node:perf_hooks';
import { compileExpectation, type BodyCheck } from './expect.js';
import { buildRequest, Http1Client, type HttpErrorClass, type HttpResponse } from './http1.js';
import { Recorder, type WorkerResult } from './record.js';
import { interArrivals } from './schedule.js';
import type { Expectation, RequestTemplate } from './types.js';

/** One worker's share of a LoadSpec. */
export interface WorkerShare {
  host: string;
  port: number;
  requests: RequestTemplate[];
  expect: Expectation[];
  mode: 'closed' | 'open';
  connections: number;
  rate?: number;
  arrivals: 'fixed' | 'poisson';
  seed: number;
  warmupMs: number;
  durationMs: number;
  maxRequests?: number;
  windowMs: number;
  timeoutMs: number;
}

// After ECONNREFUSED, retrying at once would spin the loop; the errors are still counted.
const CONNECT_BACKOFF_MS = 10;
// A send more than this after its scheduled time counts as late.
const LATE_MS = 1;

interface Prepared {
  bufs: Buffer[];
  checks: BodyCheck[];
  newClient: () => Http1Client;
}

function prepare(share: WorkerShare): Prepared {
  const bare = share.host.replace(/^\[(.*)\]$/, '$1'); // "[::1]" -> "::1" for net.connect
  const hostHeader = bare.includes(':') ? `[${bare}]:${share.port}` : `${bare}:${share.port}`;
  return {
    bufs: share.requests.map((r) => buildRequest(r, hostHeader)),
    checks: share.expect.map(compileExpectation),
    newClient: () => new Http1Client({ host: bare, port: share.port, timeoutMs: share.timeoutMs }),
  };
}

/** Classify one outcome; null means success. */
function outcome(err: HttpErrorClass | null, res: HttpResponse | null, check: BodyCheck): string | null {
  if (err || !res) return err ?? 'parse';
  if (res.status < 200 || res.status >= 300) return `status_${res.status}`;
  return check(res.body) ? null : 'invalid_body';
}

/** Run the share starting at `startAt` (this thread's performance.now() clock). */
export function runShare(share: WorkerShare, startAt: number): Promise<WorkerResult> {
  return share.mode === 'closed' ? runClosed(share, startAt) : runOpen(share, startAt);
}

function runClosed(share: WorkerShare, startAt: number): Promise<WorkerResult> {
  const { bufs, checks, newClient } = prepare(share);
  const n = bufs.length;
  const measStart = startAt + share.warmupMs;
  const measEnd = measStart + share.durationMs;
  const rec = new Recorder(Math.max(1, Math.ceil(share.durationMs / share.windowMs)));
  const clients: Http1Client[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let rr = 0;
  let stopped = false;
  let endedAt = measEnd;
  let elu0 = performance.eventLoopUtilization();

  return new Promise((resolve) => {
    const stop = (at: number): void => {
      if (stopped) return;
      stopped = true;
      endedAt = Math.min(at, measEnd);
      const elu = performance.eventLoopUtilization(elu0).utilization;
      for (const t of timers) clearTimeout(t);
      // In-flight requests at the end are abandoned, not counted (as wrk does).
      for (const c of clients) c.close();
      resolve(rec.result(elu, Math.max(0, endedAt - measStart)));
    };

    const later = (ms: number, fn: () => void): void => {
      const t = setTimeout(() => {
        timers.delete(t);
        fn();
      }, ms);
      timers.add(t);
    };

    const next = (client: Http1Client): void => {
      if (stopped) return;
      const i = rr;
      rr = rr + 1 === n ? 0 : rr + 1;
      const sentAt = performance.now();
      client.send(bufs[i]!, (err, res) => {
        if (stopped) return;
        const now = performance.now();
        if (now >= measEnd) return stop(now);
        if (now >= measStart) {
          // Closed loop: send to last byte, attributed to the window it completed in.
          const win = Math.floor((now - measStart) / share.windowMs);
          const cls = outcome(err, res, checks[i]!);
          if (cls === null) rec.success(now - sentAt, win, res!.serverTiming);
          else rec.error(cls);
          if (share.maxRequests !== undefined && rec.total >= share.maxRequests) return stop(now);
        }
        if (err === 'connect') later(CONNECT_BACKOFF_MS, () => next(client));
        else next(client);
      });
    };

    later(Math.max(0, startAt - performance.now()), () => {
      for (let c = 0; c < share.connections; c++) {
        const client = newClient();
        clients.push(client);
        next(client);
      }
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

function runOpen(share: WorkerShare, startAt: number): Promise<WorkerResult> {
  const rate = share.rate;
  if (rate === undefined || !(rate > 0)) throw new Error('open loop needs rate > 0');
  const { bufs, checks, newClient } = prepare(share);
  const n = bufs.length;
  const measStart = startAt + share.warmupMs;
  const measEnd = measStart + share.durationMs;
  const rec = new Recorder(Math.max(1, Math.ceil(share.durationMs / share.windowMs)));
  const gap = interArrivals(rate, share.arrivals, share.seed);
  // Room for about one timeout's worth of arrivals; beyond that the server is hopelessly behind.
  const maxBacklog = Math.min(100_000, Math.max(share.connections, Math.ceil((rate * share.timeoutMs) / 1000)));
  const open = { scheduled: 0, sent: 0, late: 0, dropped: 0 };
  const clients: Http1Client[] = [];
  const idle: Http1Client[] = [];
  const backlog = new Queue<Pending>();
  let pendingCounted = 0; // counted requests not yet resolved (in flight or in backlog)
  let nextSched = startAt;
  let rr = 0;
  let scheduling = true;
  let finished = false;
  let endedAt = measEnd;
  let elu0 = performance.eventLoopUtilization();
  let eluEnd: number | null = null;
  let tick: NodeJS.Timeout | null = null;
  let immediate: NodeJS.Immediate | null = null;
  const timers = new Set<NodeJS.Timeout>();

  return new Promise((resolve) => {
    const finish = (): void => {
      if (finished) return;
      finished = true;
      if (tick) clearTimeout(tick);
      if (immediate) clearImmediate(immediate);
      for (const t of timers) clearTimeout(t);
      for (const c of clients) c.close();
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

    const fire = (client: Http1Client, p: Pending): void => {
      if (p.counted) {
        open.sent++;
        if (performance.now() - p.sched > LATE_MS) open.late++;
      }
      client.send(bufs[p.i]!, (err, res) => {
        if (finished) return;
        if (p.counted) {
          // Open loop: latency from the *scheduled* time, so queueing behind a stall is charged.
          const done = performance.now();
          const cls = outcome(err, res, checks[p.i]!);
          if (cls === null) rec.success(done - p.sched, Math.floor((p.sched - measStart) / share.windowMs), res!.serverTiming);
          else rec.error(cls);
          pendingCounted--;
        }
        release(client);
      });
    };

    const release = (client: Http1Client): void => {
      const now = performance.now();
      for (let p = backlog.shift(); p; p = backlog.shift()) {
        if (now - p.sched > share.timeoutMs) {
          drop(p);
          continue;
        }
        fire(client, p);
        return;
      }
      idle.push(client);
      maybeFinish();
    };

    const dispatch = (p: Pending): void => {
      let client = idle.pop();
      if (!client && clients.length < share.connections) {
        client = newClient();
        clients.push(client);
      }
      if (client) fire(client, p);
      else if (backlog.length < maxBacklog) backlog.push(p);
      else drop(p);
    };

    const stopScheduling = (at: number): void => {
      scheduling = false;
      endedAt = Math.min(at, measEnd);
      eluEnd = performance.eventLoopUtilization(elu0).utilization;
      // Drain: queued requests may wait up to timeoutMs, then get up to timeoutMs on the wire.
      const t = setTimeout(finish, 2 * share.timeoutMs + 100);
      timers.add(t);
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
      arm(nextSched);
    };

    // Timers have 1 ms granularity against a cached loop clock, so they often fire a
    // little early; the last sub-millisecond is bridged with setImmediate instead of
    // another >= 1 ms timer, which would make most sends late.
    const arm = (at: number): void => {
      const delay = at - performance.now();
      if (delay >= 1) tick = setTimeout(onTick, delay);
      else {
        tick = null;
        immediate = setImmediate(onTick);
      }
    };

    arm(startAt);
  });
}
