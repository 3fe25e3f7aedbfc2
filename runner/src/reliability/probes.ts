// Overload and shutdown probes for one launched server, over HTTP or gRPC. The reliability tests
// assert on what they return; `servebench reliability` prints it as a table. Loopback only; every
// probe is bounded in count and time.
import { Agent, request } from 'node:http';
import * as grpc from '@grpc/grpc-js';
import { ROUTES, sentences } from '@servebench/contract';
import { ServingClient } from '@servebench/contract/grpc';
import type { Launched } from '../launch/process.js';
import { startSampler } from '../resources/sampler.js';

/** The stated bound for a server's whole process tree under overload (mini model, MAX_QUEUE=16). */
export const OVERLOAD_RSS_LIMIT_MB = 700;
/** The environment the overload probe expects: a small queue, so shedding starts early. */
export const OVERLOAD_ENV = { MAX_QUEUE: '16' } as const;
/** The environment the shutdown probe expects: a grace period longer than the queued work. */
export const SHUTDOWN_ENV = { SHUTDOWN_GRACE_MS: '20000' } as const;

export type Protocol = 'http' | 'grpc';
// 4 medium texts per predict (the set now holds 512 sentences; all of them would be 400 TOO_MANY_TEXTS).
const TEXTS = sentences('medium').slice(0, 4);
const HTTP_BODY = JSON.stringify({ texts: TEXTS });

/** One predict: served, shed (429 / RESOURCE_EXHAUSTED with the OVERLOADED code), or something else. */
interface Outcome {
  kind: 'ok' | 'shed' | 'other';
  retryAfter: boolean;
  detail: string;
}

interface Caller {
  predict(): Promise<Outcome>;
  healthy(): Promise<boolean>;
  close(): void;
}

function httpCaller(baseUrl: string): Caller {
  return {
    async predict() {
      try {
        const r = await fetch(new URL(ROUTES.predict, baseUrl), {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: HTTP_BODY,
          signal: AbortSignal.timeout(60_000),
        });
        await r.arrayBuffer();
        const kind = r.status === 200 ? 'ok' : r.status === 429 ? 'shed' : 'other';
        return { kind, retryAfter: r.headers.get('retry-after') !== null, detail: `HTTP ${r.status}` };
      } catch (e) {
        return { kind: 'other', retryAfter: false, detail: `no answer: ${(e as Error).message}` };
      }
    },
    healthy: () =>
      fetch(new URL(ROUTES.healthz, baseUrl), { signal: AbortSignal.timeout(2000) }).then(
        (r) => r.ok,
        () => false,
      ),
    close() {},
  };
}

function grpcCaller(target: string): Caller {
  // One channel for the load and one for health, as a client and a load balancer would have.
  const client = new ServingClient(target);
  const health = new ServingClient(target);
  return {
    async predict() {
      const r = await client.call('PredictBatch', { texts: TEXTS }, { timeoutMs: 60_000 });
      const code = r.trailers.get('servebench-error-code')[0];
      const kind =
        r.code === grpc.status.OK
          ? 'ok'
          : r.code === grpc.status.RESOURCE_EXHAUSTED && code === 'OVERLOADED'
            ? 'shed'
            : 'other';
      return {
        kind,
        retryAfter: r.trailers.get('retry-after').length > 0,
        detail: `${grpc.status[r.code]} ${String(code ?? '')} ${r.details}`.trim(),
      };
    },
    healthy: () =>
      health.health('', 2000).then(
        (s) => s === 'SERVING',
        () => false,
      ),
    close() {
      client.close();
      health.close();
    },
  };
}

const callerFor = (server: Launched, protocol: Protocol): Caller =>
  protocol === 'grpc' ? grpcCaller(`${server.host}:${server.port}`) : httpCaller(server.baseUrl);

export interface OverloadResult {
  sent: number;
  served: number;
  shed: number;
  /** Shed without saying when to retry. */
  shedWithoutRetryAfter: number;
  /** Anything but served or shed, a few of them spelled out. */
  other: string[];
  healthFailures: number;
  peakRssMb: number;
  /** A predict after the load stopped was served. */
  recovered: boolean;
}

/**
 * Far more than the server can take at once: 3 waves of 400 predicts of 4 medium texts, while
 * health is polled every 100 ms and the process tree's RSS sampled. Start it with OVERLOAD_ENV.
 */
export async function overload(server: Launched, protocol: Protocol): Promise<OverloadResult> {
  const caller = callerFor(server, protocol);
  const sampler = startSampler(server.pid, 100);
  try {
    let healthFailures = 0;
    let loadDone = false;
    const health = (async () => {
      while (!loadDone) {
        if (!(await caller.healthy())) healthFailures++;
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const outcomes: Outcome[] = [];
    for (let wave = 0; wave < 3; wave++)
      outcomes.push(...(await Promise.all(Array.from({ length: 400 }, () => caller.predict()))));
    loadDone = true;
    await health;
    const peakRssMb = sampler.stop().peakRssMb;
    const shed = outcomes.filter((o) => o.kind === 'shed');
    return {
      sent: outcomes.length,
      served: outcomes.filter((o) => o.kind === 'ok').length,
      shed: shed.length,
      shedWithoutRetryAfter: shed.filter((o) => !o.retryAfter).length,
      other: outcomes
        .filter((o) => o.kind === 'other')
        .map((o) => o.detail)
        .slice(0, 5),
      healthFailures,
      peakRssMb,
      recovered: (await caller.predict()).kind === 'ok',
    };
  } finally {
    sampler.stop();
    caller.close();
  }
}

export interface ShutdownResult {
  inFlight: number;
  /** Requests in flight at SIGTERM that got no successful answer, spelled out. */
  lost: string[];
  exit: { code: number | null; signal: string | null };
}

/** 40 predicts in flight on established connections, then SIGTERM. Start it with SHUTDOWN_ENV. */
export async function shutdownUnderLoad(server: Launched, protocol: Protocol): Promise<ShutdownResult> {
  const IN_FLIGHT = 40;
  let inflight: Array<Promise<string | undefined>>;
  let cleanup: () => void;
  if (protocol === 'grpc') {
    const client = new ServingClient(`${server.host}:${server.port}`);
    await client.call('HelloWorld', {}); // the HTTP/2 connection is up before the load
    inflight = Array.from({ length: IN_FLIGHT }, async () => {
      const r = await client.call('PredictBatch', { texts: TEXTS }, { timeoutMs: 60_000 });
      return r.code === grpc.status.OK ? undefined : `${grpc.status[r.code]} ${r.details}`;
    });
    cleanup = () => client.close();
    // Every call is on the wire once the server has answered one (it answers in order of arrival).
    await Promise.race(inflight);
  } else {
    const agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
    // Open and use the connections first: a connection still in the listen backlog when the
    // listener closes is reset by the kernel, and that is not a request the server had.
    const get = () =>
      new Promise<void>((resolve, reject) =>
        request(new URL(ROUTES.healthz, server.baseUrl), { agent }, (res) => res.resume().on('end', resolve))
          .on('error', reject)
          .end(),
      );
    await Promise.all(Array.from({ length: IN_FLIGHT }, get));
    const sent: Array<Promise<void>> = [];
    inflight = Array.from(
      { length: IN_FLIGHT },
      () =>
        new Promise<string | undefined>((resolve) => {
          const req = request(
            new URL(ROUTES.predict, server.baseUrl),
            { method: 'POST', agent, headers: { 'content-type': 'application/json' } },
            (res) => {
              res.resume();
              res.on('end', () => resolve(res.statusCode === 200 ? undefined : `HTTP ${res.statusCode}`));
            },
          );
          req.on('error', (e) => resolve(`no answer: ${e.message}`));
          sent.push(new Promise((r) => req.on('finish', r)));
          req.end(HTTP_BODY);
        }),
    );
    cleanup = () => agent.destroy();
    // In flight = fully sent on an accepted connection; after the first answer the rest are queued.
    await Promise.all(sent);
    await Promise.race(inflight);
  }
  await new Promise((r) => setTimeout(r, 100));
  process.kill(server.pid, 'SIGTERM');
  const lost = (await Promise.all(inflight)).filter((x): x is string => x !== undefined);
  cleanup();
  // Let it finish on its own: a second signal from stop() would interrupt the graceful exit.
  const deadline = Date.now() + 25_000;
  while (!server.exited() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const exit = server.exited() ?? (await server.stop());
  return { inFlight: IN_FLIGHT, lost, exit };
}
