// `servebench reliability`: for every server with an in-process model, the bad-input matrix and
// fuzz suite (HTTP or gRPC flavour), the overload probe and the shutdown probe, each on a fresh
// launch, summarised in one table. The same code the reliability tests assert on.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ABUSE_CHECKS, newAbuseTally, runConformance } from '@servebench/contract';
import { referenceTokenizer, runGrpcAbuse } from '@servebench/contract/grpc';
import type { StackSpec } from '../discover.js';
import { modelServerKind } from '../launch/modelserver.js';
import { LaunchError, launchProcess, type Launched } from '../launch/process.js';
import {
  OVERLOAD_ENV,
  OVERLOAD_RSS_LIMIT_MB,
  SHUTDOWN_ENV,
  overload,
  shutdownUnderLoad,
  type OverloadResult,
  type ShutdownResult,
} from './probes.js';
import { BOUNDS, FULL_SIZES, hardeningProbes, type HardeningSizes, type ProbeResult } from './hardening.js';

export interface AbuseSummary {
  cases: number;
  crashes: number;
  serverErrors: number;
  leaks: number;
  /** Checks that failed for any other reason (wrong 4xx code, wrong answer), first few messages. */
  failures: string[];
}

export interface ReliabilityRow {
  stack: string;
  skipped?: string;
  abuse?: AbuseSummary;
  overload?: OverloadResult;
  shutdown?: ShutdownResult;
  /** Issue 15's probes: costly texts, abandoned work, slow/idle clients, oversized bodies, unique words. */
  hardening?: ProbeResult[];
}

/** Stacks the report covers: every server with its model in process (proxy stacks need a model server). */
export const reportStacks = (stacks: StackSpec[]) => stacks.filter((s) => modelServerKind(s.backend) === undefined);

/** The bad-input matrix and fuzz suite of the server's protocol against a launched server. */
export async function abuse(server: Launched, stack: StackSpec): Promise<AbuseSummary> {
  if (stack.server.protocol === 'grpc') {
    const parts = await runGrpcAbuse(`${server.host}:${server.port}`, { tokenize: await referenceTokenizer() });
    const sum = (k: 'cases' | 'crashes' | 'serverErrors' | 'leaks') => parts.reduce((n, p) => n + p[k], 0);
    return {
      cases: sum('cases'),
      crashes: sum('crashes') + (server.exited() ? 1 : 0),
      serverErrors: sum('serverErrors'),
      leaks: sum('leaks'),
      failures: parts.flatMap((p) => p.failures).slice(0, 5),
    };
  }
  const tally = newAbuseTally();
  const outcomes = await runConformance(server.baseUrl, { checks: ABUSE_CHECKS, tally });
  return {
    cases: tally.cases,
    crashes: tally.noAnswer + (server.exited() ? 1 : 0),
    serverErrors: tally.serverErrors,
    leaks: tally.leaks,
    failures: outcomes
      .filter((o) => !o.ok)
      .map((o) => `${o.id}: ${o.error ?? ''}`)
      .slice(0, 5),
  };
}

/** Runs the three probes on each stack, one launch each; a stack that cannot run here is skipped with its reason. */
export async function reliabilityReport(
  stacks: StackSpec[],
  opts: { note?: (line: string) => void; hardening?: HardeningSizes } = {},
): Promise<ReliabilityRow[]> {
  const sizes = opts.hardening ?? FULL_SIZES;
  const note = opts.note ?? (() => {});
  const logs = mkdtempSync(join(tmpdir(), 'servebench-reliability-report-'));
  const rows: ReliabilityRow[] = [];
  for (const stack of stacks) {
    const row: ReliabilityRow = { stack: stack.id };
    rows.push(row);
    const withServer = async <T>(
      what: string,
      env: Record<string, string>,
      f: (s: Launched) => Promise<T>,
    ): Promise<T> => {
      note(`${stack.id}: ${what}`);
      const server = await launchProcess(stack, {
        env: { MODEL: 'mini', ...env },
        readyTimeoutMs: 90_000,
        logFile: join(logs, `${stack.id}-${what}.log`),
      });
      try {
        return await f(server);
      } finally {
        if (!server.exited()) await server.stop();
      }
    };
    try {
      row.abuse = await withServer('bad input and fuzzing', {}, (s) => abuse(s, stack));
      row.overload = await withServer('overload', OVERLOAD_ENV, (s) => overload(s, stack.server.protocol));
      row.shutdown = await withServer('shutdown', SHUTDOWN_ENV, (s) => shutdownUnderLoad(s, stack.server.protocol));
      row.hardening = await withServer('hardening', sizes.env, (s) => hardeningProbes(s, stack.server.protocol, sizes));
    } catch (e) {
      row.skipped =
        e instanceof LaunchError && e.unavailable ? `cannot run here: ${e.message}` : `failed: ${(e as Error).message}`;
    }
  }
  return rows;
}

export function renderReliability(rows: ReliabilityRow[], stamp: string): string {
  const lines = [
    `Machine: ${stamp}.`,
    '',
    `| stack | bad-input + fuzz cases | crashes | 5xx on client errors | leaks | other failures | overload: served / shed (no Retry-After) / other | health misses | peak RSS (bound ${OVERLOAD_RSS_LIMIT_MB} MB) | recovered | lost at shutdown | exit |`,
    '|---|--:|--:|--:|--:|--:|---|--:|--:|---|--:|---|',
  ];
  for (const r of rows) {
    if (r.skipped) {
      lines.push(`| ${r.stack} | ${r.skipped.replace(/\|/g, '/').split('\n')[0]} |||||||||||`);
      continue;
    }
    const a = r.abuse!;
    const o = r.overload!;
    const s = r.shutdown!;
    const rss = `${Math.round(o.peakRssMb)} ${o.peakRssMb < OVERLOAD_RSS_LIMIT_MB ? 'ok' : '**over**'}`;
    lines.push(
      `| ${r.stack} | ${a.cases} | ${a.crashes} | ${a.serverErrors} | ${a.leaks} | ${a.failures.length} | ${o.served} / ${o.shed} (${o.shedWithoutRetryAfter}) / ${o.other.length} of ${o.sent} | ${o.healthFailures} | ${rss} | ${o.recovered ? 'yes' : '**no**'} | ${s.lost.length} of ${s.inFlight} | ${s.exit.code ?? s.exit.signal} |`,
    );
  }
  lines.push('', ...renderHardening(rows));
  const problems = rows.flatMap((r) => [
    ...(r.abuse?.failures ?? []).map((f) => `${r.stack}: ${f}`),
    ...(r.overload?.other ?? []).map((f) => `${r.stack} overload: ${f}`),
    ...(r.shutdown?.lost ?? []).map((f) => `${r.stack} shutdown: ${f}`),
    ...(r.hardening ?? []).filter((p) => !p.ok).map((p) => `${r.stack} ${p.probe}: ${p.why ?? p.outcome}`),
  ]);
  if (problems.length) lines.push('', 'Failures:', ...problems.map((p) => `- ${p.slice(0, 300)}`));
  return lines.join('\n');
}

/** True when every measured row meets the issue's bars (0 crashes, 0 5xx, 0 leaks, RSS bound, 0 lost, exit 0). */
export function reliabilityOk(rows: ReliabilityRow[]): boolean {
  return rows.every(
    (r) =>
      r.skipped?.startsWith('cannot run here') ||
      (!r.skipped &&
        r.abuse!.crashes === 0 &&
        r.abuse!.serverErrors === 0 &&
        r.abuse!.leaks === 0 &&
        r.abuse!.failures.length === 0 &&
        r.overload!.other.length === 0 &&
        r.overload!.shedWithoutRetryAfter === 0 &&
        r.overload!.healthFailures === 0 &&
        r.overload!.peakRssMb < OVERLOAD_RSS_LIMIT_MB &&
        r.overload!.recovered &&
        r.shutdown!.lost.length === 0 &&
        r.shutdown!.exit.code === 0 &&
        (r.hardening ?? []).every((p) => p.ok)),
  );
}

const fmtMs = (ms: number | undefined) =>
  ms === undefined ? '**none**' : ms === Number.POSITIVE_INFINITY ? '**failed**' : `${Math.round(ms)}`;

/** One row per server and probe: time to an answer or close, worst /healthz latency, peak RSS, verdict. */
export function renderHardening(rows: ReliabilityRow[]): string[] {
  const lines = [
    `Hardening probes (issue 15). Bounds: answered or closed within ${BOUNDS.answerOrCloseMs / 1000} s; /healthz under ${BOUNDS.healthzMs} ms during accent and unique-words; a small predict after abandoned heavy work within ${BOUNDS.afterAbortMs / 1000} s; RSS growth at most ${BOUNDS.uniqueWordsRssMb} MB under unique-words.`,
    '',
    '| stack | probe | answer or close (ms) | outcome | worst /healthz (ms) | peak RSS (MB) | verdict |',
    '|---|---|--:|---|--:|--:|---|',
  ];
  for (const r of rows) {
    for (const p of r.hardening ?? []) {
      const rss = `${Math.round(p.peakRssMb)}${p.rssGrowthMb !== undefined ? ` (+${Math.round(p.rssGrowthMb)})` : ''}`;
      lines.push(
        `| ${r.stack} | ${p.probe} | ${fmtMs(p.ms)} | ${p.outcome.replace(/\|/g, '/')} | ${fmtMs(p.worstHealthMs)} | ${rss} | ${p.ok ? 'ok' : `**${(p.why ?? 'failed').replace(/\|/g, '/')}**`} |`,
      );
    }
  }
  return lines;
}
