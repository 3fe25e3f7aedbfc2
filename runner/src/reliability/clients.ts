// The clients the hardening probes drive against one launched server: a health poller, raw HTTP/1.1
// exchanges, one-connection requests, predicts over HTTP or gRPC, and idle connections. Loopback
// only; each is bounded in time by BOUNDS.
import http2 from 'node:http2';
import { request } from 'node:http';
import net from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { ROUTES } from '@servebench/contract';
import { ServingClient } from '@servebench/contract/grpc';
import type { Launched } from '../launch/process.js';
import { BOUNDS } from './bounds.js';

/** Polls health every 50 ms until stopped; returns the worst latency (Infinity for a failure). */
export function watchHealth(server: Launched, grpcTarget?: string): { stop(): Promise<number> } {
  let stopped = false;
  let worst = 0;
  const health = grpcTarget ? new ServingClient(grpcTarget) : undefined;
  const once = async () => {
    const t0 = performance.now();
    const ok = health
      ? await health.health('', 5000).then(
          (s) => s === 'SERVING',
          () => false,
        )
      : await httpCall(new URL(ROUTES.healthz, server.baseUrl), undefined, AbortSignal.timeout(5000)).then(
          (r) => r.status === 200,
          () => false,
        );
    worst = Math.max(worst, ok ? performance.now() - t0 : Number.POSITIVE_INFINITY);
  };
  const loop = (async () => {
    while (!stopped) {
      await once();
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      health?.close();
      return worst;
    },
  };
}

/** A raw HTTP/1.1 exchange: writes `head`, lets `feed` write more; resolves when the server closes or `limitMs` passes. */
export function rawExchange(
  server: Launched,
  head: string,
  limitMs: number,
  feed?: (s: net.Socket) => () => void,
): Promise<{ text: string; closed: boolean; firstByteMs?: number; ms: number }> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    let text = '';
    let firstByteMs: number | undefined;
    let stopFeed = () => {};
    const s = net.connect(server.port, server.host, () => {
      s.write(head);
      if (feed) stopFeed = feed(s);
    });
    const timer = setTimeout(() => finish(false), limitMs);
    const finish = (closed: boolean) => {
      clearTimeout(timer);
      stopFeed();
      s.destroy();
      resolve({ text, closed, firstByteMs, ms: performance.now() - t0 });
    };
    s.on('data', (d) => {
      firstByteMs ??= performance.now() - t0;
      text += d.toString('latin1');
    });
    s.on('error', () => undefined);
    s.on('close', () => finish(true));
  });
}

export const statusOf = (text: string) =>
  /^HTTP\/1\.1 (\d{3})/.exec(text.replace(/^HTTP\/1\.1 100 Continue\r\n\r\n/, ''))?.[1];

/**
 * One request on its own connection (no keep-alive reuse: with the short idle timeouts of the CI
 * sizes a pooled connection may be closed by the server just as it is reused). Resolves with the status.
 */
export function httpCall(url: URL, body?: string, signal?: AbortSignal): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: body === undefined ? 'GET' : 'POST',
        agent: false,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        signal: signal ?? AbortSignal.timeout(BOUNDS.answerOrCloseMs),
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export async function predictHttp(server: Launched, texts: string[], signal?: AbortSignal): Promise<number> {
  return (await httpCall(new URL(ROUTES.predict, server.baseUrl), JSON.stringify({ texts }), signal)).status;
}

export async function predictGrpc(client: ServingClient, texts: string[], timeoutMs: number = BOUNDS.answerOrCloseMs) {
  const r = await client.call('PredictBatch', { texts }, { timeoutMs });
  return r.code === grpc.status.OK ? 200 : `${grpc.status[r.code]}`;
}

/** Opens `n` connections that never send a byte; ms until the server has closed every one of them. */
export async function idleSockets(
  server: Launched,
  protocol: 'http' | 'grpc',
  n: number,
): Promise<{ ms: number | undefined; outcome: string }> {
  const t0 = performance.now();
  const closed = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<number | undefined>((resolve) => {
          // gRPC: an HTTP/2 session with no call; the server's GOAWAY (max_connection_idle_ms) counts as closing it.
          const h2 = protocol === 'grpc' ? http2.connect(`http://${server.host}:${server.port}`) : undefined;
          const s = h2 ?? net.connect(server.port, server.host);
          const timer = setTimeout(() => {
            s.destroy();
            resolve(undefined);
          }, BOUNDS.answerOrCloseMs + 5000);
          h2?.on('goaway', () => {
            clearTimeout(timer);
            resolve(performance.now() - t0);
            h2.destroy();
          });
          s.on('error', () => undefined);
          if (!h2) (s as net.Socket).resume(); // read (and drop) a 408 the server may send, or its FIN is never seen
          s.on('close', () => {
            clearTimeout(timer);
            resolve(performance.now() - t0);
          });
        }),
    ),
  );
  const open = closed.filter((c) => c === undefined).length;
  const ms = open === 0 ? Math.max(...(closed as number[])) : undefined;
  return { ms, outcome: open === 0 ? `${n} of ${n} closed` : `${open} of ${n} still open` };
}
