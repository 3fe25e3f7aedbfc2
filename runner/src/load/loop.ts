// The load loops that run inside one worker thread. Latency is timestamped
// here, in the thread that sends, from socket events on this event loop.
import { performance } from 'node:perf_hooks';
import { compileExpectation, type BodyCheck } from './expect.js';
import { Http1Client } from './http1.js';
import { buildRequest, type HttpErrorClass, type HttpResponse } from './http1-wire.js';
import { Recorder, type WorkerResult } from './record.js';
import { runOpenLoop } from './open-loop.js';
import type { Expectation, RequestTemplate } from './types.js';
import { Timers } from './timers.js';

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
  /** Open loop: explicit send times (ms from the start, ascending) instead of the rate's schedule. */
  offsetsMs?: number[];
}

// After ECONNREFUSED, retrying at once would spin the loop; the errors are still counted.
const CONNECT_BACKOFF_MS = 10;
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
  const timers = new Timers();
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
      timers.clear();
      // In-flight requests at the end are abandoned, not counted (as wrk does).
      for (const c of clients) c.close();
      resolve(rec.result(elu, Math.max(0, endedAt - measStart)));
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
        if (err === 'connect') timers.later(CONNECT_BACKOFF_MS, () => next(client));
        else next(client);
      });
    };

    timers.later(Math.max(0, startAt - performance.now()), () => {
      for (let c = 0; c < share.connections; c++) {
        const client = newClient();
        clients.push(client);
        next(client);
      }
    });
    timers.later(Math.max(0, measStart - performance.now()), () => {
      elu0 = performance.eventLoopUtilization();
    });
    timers.later(Math.max(0, measEnd - performance.now()), () => stop(performance.now()));
  });
}

/** What an HTTP/1.1 request ends with, scored by `outcome` once it is timed. */
interface HttpReply {
  err: HttpErrorClass | null;
  res: HttpResponse | null;
}

function runOpen(share: WorkerShare, startAt: number): Promise<WorkerResult> {
  const { bufs, checks, newClient } = prepare(share);
  // Connections are opened lazily, up to share.connections, as the schedule needs them.
  const clients: Http1Client[] = [];
  return runOpenLoop<Http1Client, HttpReply>(share, bufs.length, startAt, {
    openSlot: () => {
      if (clients.length >= share.connections) return undefined;
      const client = newClient();
      clients.push(client);
      return client;
    },
    send: (client, i, onReply) => client.send(bufs[i]!, (err, res) => onReply({ err, res })),
    judge: ({ err, res }, i) => ({ cls: outcome(err, res, checks[i]!), serverTiming: res?.serverTiming }),
    close: () => {
      for (const c of clients) c.close();
    },
  });
}
