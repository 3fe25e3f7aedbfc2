// Hardening probes (issue 15): costly texts, abandoned work, slow and idle clients, oversized bodies
// and a cache fed unique words, each timed against one launched server while /healthz is polled and
// the process tree's RSS sampled. Loopback only; every probe is bounded in count and time. The sizes
// and the server's timeouts are parameters: `servebench reliability` uses the full ones below, the CI
// tests small ones (their assertions are on behaviour, the command's table is the benchmark).
import { ServingClient } from '@servebench/contract/grpc';
import type { Launched } from '../launch/process.js';
import { startSampler } from '../resources/sampler.js';
import { BOUNDS } from './bounds.js';
import { idleSockets, predictGrpc, predictHttp, rawExchange, statusOf, watchHealth } from './clients.js';

export { BOUNDS };

export interface HardeningSizes {
  /** Texts of `a` + 9,999 x U+0301 + 9,999 x U+0316 in one predict. */
  accentTexts: number;
  /** Heavy predicts abandoned by their clients, and texts in each. */
  abandoned: number;
  abandonedTexts: number;
  /** When the heavy predicts are abandoned. */
  abandonAfterMs: number;
  idleSockets: number;
  /** Interval of the trickled body's bytes. */
  trickleEveryMs: number;
  /** Predicts of one unique 20,000-character word each. */
  uniqueWords: number;
  /** Server environment for the run (the timeouts the probes wait on). */
  env: Record<string, string>;
}

/** What `servebench reliability` runs: the review's figures against the default timeouts. */
export const FULL_SIZES: HardeningSizes = {
  accentTexts: 25,
  abandoned: 6,
  abandonedTexts: 64,
  abandonAfterMs: 1000,
  idleSockets: 1100,
  trickleEveryMs: 5000,
  uniqueWords: 1100,
  env: {},
};

/** For tests: small counts and sub-second timeouts (idle, request, headers), so each probe ends fast. */
export const CI_SIZES: HardeningSizes = {
  accentTexts: 4,
  abandoned: 3,
  abandonedTexts: 16,
  abandonAfterMs: 200,
  idleSockets: 20,
  trickleEveryMs: 100,
  uniqueWords: 30,
  env: { IDLE_TIMEOUT_MS: '500', REQUEST_TIMEOUT_MS: '800', HEADERS_TIMEOUT_MS: '500' },
};

export type HardeningProbe =
  'accent' | 'abort' | 'idle' | 'trickle' | 'headers' | 'chunked' | 'continue' | 'unique-words';

export interface ProbeResult {
  probe: HardeningProbe;
  /** ms until the probe's request was answered or its connection(s) closed; undefined if never within the bound. */
  ms: number | undefined;
  /** What came back, e.g. `HTTP 413`, `closed`, `200 after abort`. */
  outcome: string;
  /** Worst /healthz (or gRPC health) latency while the probe ran; Infinity if one failed or timed out. */
  worstHealthMs: number;
  peakRssMb: number;
  /** RSS growth of the process tree over the probe (unique-words). */
  rssGrowthMb?: number;
  ok: boolean;
  why?: string;
}

const ACCENT = `a${'\u0301'.repeat(9999)}${'\u0316'.repeat(9999)}`;
const heavyText = (i: number) => Array.from({ length: 400 }, (_, k) => `word${(i * 7 + k) % 97}`).join(' ');
const uniqueWord = (i: number) => {
  let s = '';
  let x = (i + 1) * 2654435761;
  while (s.length < 20_000) {
    x = (x * 1103515245 + 12345) % 2147483648;
    s += String.fromCharCode(97 + (x % 26));
  }
  return s;
};

/** Runs every probe that applies to the protocol against one server, in an order where none disturbs the next. */
export async function hardeningProbes(
  server: Launched,
  protocol: 'http' | 'grpc',
  sizes: HardeningSizes,
): Promise<ProbeResult[]> {
  const target = protocol === 'grpc' ? `${server.host}:${server.port}` : undefined;
  const client = target ? new ServingClient(target) : undefined;
  const predict = (texts: string[], timeoutMs?: number) =>
    client ? predictGrpc(client, texts, timeoutMs) : predictHttp(server, texts);
  const results: ProbeResult[] = [];
  const run = async (
    probe: HardeningProbe,
    body: () => Promise<Omit<ProbeResult, 'probe' | 'worstHealthMs' | 'peakRssMb' | 'ok'> & { ok?: boolean }>,
    healthBound?: number,
  ) => {
    const sampler = startSampler(server.pid, 100);
    const health = watchHealth(server, target);
    let r: Awaited<ReturnType<typeof body>>;
    try {
      r = await body();
    } catch (e) {
      r = { ms: undefined, outcome: `error: ${(e as Error).message}`, ok: false };
    }
    const worstHealthMs = await health.stop();
    const series = sampler.stop();
    const first = series.samples[0]?.rssMb ?? series.peakRssMb;
    const within = r.ms !== undefined && r.ms <= BOUNDS.answerOrCloseMs;
    const healthy = healthBound === undefined || worstHealthMs < healthBound;
    const ok = (r.ok ?? true) && within && healthy;
    const why = !within
      ? 'not answered or closed in time'
      : !healthy
        ? `/healthz took ${Math.round(worstHealthMs)} ms`
        : r.why;
    results.push({
      probe,
      worstHealthMs,
      peakRssMb: series.peakRssMb,
      ...r,
      ...(probe === 'unique-words' ? { rssGrowthMb: series.peakRssMb - first } : {}),
      ok,
      ...(ok ? {} : { why: why ?? r.outcome }),
    });
  };

  await run('idle', () => idleSockets(server, protocol, sizes.idleSockets));
  if (protocol === 'http') {
    await run('continue', async () => {
      const x = await rawExchange(
        server,
        'POST /predict HTTP/1.1\r\nhost: probe\r\ncontent-type: application/json\r\nexpect: 100-continue\r\ncontent-length: 50000000\r\n\r\n',
        BOUNDS.answerOrCloseMs,
      );
      const got100 = x.text.startsWith('HTTP/1.1 100');
      return {
        ms: x.firstByteMs ?? (x.closed ? x.ms : undefined),
        outcome: got100 ? `100 Continue, then ${statusOf(x.text) ?? 'nothing'}` : `HTTP ${statusOf(x.text) ?? 'none'}`,
        ok: !got100 && statusOf(x.text) === '413',
      };
    });
    await run('chunked', async () => {
      const chunk = `4000\r\n${'a'.repeat(0x4000)}\r\n`;
      const x = await rawExchange(
        server,
        'POST /predict HTTP/1.1\r\nhost: probe\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n',
        BOUNDS.answerOrCloseMs,
        (s) => {
          // As fast as the server reads: write until the socket pushes back, resume on drain.
          let stop = false;
          const pump = () => {
            while (!stop && s.writable && s.write(chunk));
          };
          s.on('drain', pump);
          pump();
          return () => {
            stop = true;
          };
        },
      );
      return {
        ms: x.firstByteMs ?? (x.closed ? x.ms : undefined),
        outcome: `HTTP ${statusOf(x.text) ?? 'none'}${x.closed ? ', closed' : ''}`,
        ok: statusOf(x.text) === '413',
      };
    });
    // A body, then (in another probe) the headers, trickled one byte per trickleEveryMs: 408 and closed.
    const trickle = async (head: string, byte: string) => {
      const x = await rawExchange(server, head, BOUNDS.answerOrCloseMs + 5000, (s) => {
        const t = setInterval(() => s.writable && s.write(byte), sizes.trickleEveryMs);
        return () => clearInterval(t);
      });
      return {
        ms: x.closed || x.text ? (x.firstByteMs ?? x.ms) : undefined,
        outcome: `${x.text ? `HTTP ${statusOf(x.text)}` : 'no answer'}${x.closed ? ', closed' : ''}`,
        ok: x.closed && statusOf(x.text) === '408',
      };
    };
    const post = 'POST /predict HTTP/1.1\r\nhost: probe\r\ncontent-type: application/json\r\n';
    await run('trickle', () => trickle(`${post}content-length: 100000\r\n\r\n{"text":"`, 'a'));
    await run('headers', () => trickle(`${post}x-slow: `, 'a'));
  }
  await run(
    'accent',
    async () => {
      const t0 = performance.now();
      const status = await predict(Array.from({ length: sizes.accentTexts }, () => ACCENT));
      return { ms: performance.now() - t0, outcome: `${status}`, ok: status === 200 };
    },
    BOUNDS.healthzMs,
  );
  await run('abort', async () => {
    const texts = Array.from({ length: sizes.abandonedTexts }, (_, i) => heavyText(i));
    const heavy = Array.from({ length: sizes.abandoned }, () =>
      client
        ? predictGrpc(client, texts, sizes.abandonAfterMs).catch(() => 'gone')
        : predictHttp(server, texts, AbortSignal.timeout(sizes.abandonAfterMs)).catch(() => 'gone'),
    );
    await Promise.all(heavy);
    const t0 = performance.now();
    const status = await predict(['a small predict after abandoned heavy work']);
    const ms = performance.now() - t0;
    return {
      ms,
      outcome: `${status} in ${Math.round(ms)} ms after ${sizes.abandoned} abandoned`,
      ok: status === 200 && ms <= BOUNDS.afterAbortMs,
      why: ms > BOUNDS.afterAbortMs ? `small predict took ${Math.round(ms)} ms` : undefined,
    };
  });
  await run(
    'unique-words',
    async () => {
      const t0 = performance.now();
      const statuses = new Map<string, number>();
      for (let i = 0; i < sizes.uniqueWords; i += 4) {
        const batch = Array.from({ length: Math.min(4, sizes.uniqueWords - i) }, (_, k) =>
          predict([uniqueWord(i + k)]),
        );
        for (const s of await Promise.all(batch)) statuses.set(String(s), (statuses.get(String(s)) ?? 0) + 1);
      }
      return {
        ms: performance.now() - t0,
        outcome: [...statuses].map(([s, n]) => `${n} x ${s}`).join(', '),
        ok: statuses.size === 1 && statuses.has('200'),
      };
    },
    BOUNDS.healthzMs,
  );
  client?.close();
  // The RSS bound of the unique-words probe.
  for (const r of results) {
    if (r.probe === 'unique-words' && (r.rssGrowthMb ?? 0) > BOUNDS.uniqueWordsRssMb) {
      r.ok = false;
      r.why = `RSS grew ${Math.round(r.rssGrowthMb!)} MB`;
    }
  }
  return results;
}
