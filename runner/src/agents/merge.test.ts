import { describe, expect, it } from 'vitest';
import { aggregate } from '../load/aggregate.js';
import { Recorder } from '../load/record.js';
import type { LoadSpec } from '../load/types.js';
import { AgentError } from './errors.js';
import { checkCoverage, mergeAgents } from './merge.js';
import type { AgentReport } from './protocol.js';

const spec: LoadSpec = {
  host: '127.0.0.1',
  port: 1,
  requests: [{ method: 'GET', path: '/' }],
  expect: [{ kind: 'exact', body: '' }],
  mode: 'closed',
  concurrency: 4,
  warmupMs: 0,
  durationMs: 4000,
  windowMs: 1000,
  timeoutMs: 1000,
};

// Recorded samples: a seeded heavy-tailed latency series (ms) with window and Server-Timing, so the
// merged tail percentiles depend on which samples each agent got.
function samples(n: number): Array<{ ms: number; win: number; st: string }> {
  let x = 20261201;
  const out = [];
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    const u = (x + 1) / 2 ** 32;
    out.push({ ms: 0.2 + -Math.log(u) * (i % 17 === 0 ? 40 : 2), win: i % 4, st: `infer;dur=${(u * 3).toFixed(3)}` });
  }
  return out;
}

function report(index: number, rec: Recorder, o: Partial<AgentReport> = {}): AgentReport {
  const w = rec.result(0.5, spec.durationMs);
  return {
    segment: { index, count: 2 },
    concurrency: 2,
    startEpochMs: 1_000_000,
    readyEpochMs: 999_000,
    successes: w.successes,
    errors: w.errors,
    histogram: w.hist,
    workers: [w],
    measuredMs: spec.durationMs,
    cpu: { userMs: 1, systemMs: 1 },
    host: 'stand-in',
    pid: index,
    ...o,
  };
}

describe('merging two agents', () => {
  const all = samples(20_000);
  const one = new Recorder(4);
  const halves = [new Recorder(4), new Recorder(4)];
  all.forEach((s, i) => {
    one.success(s.ms, s.win, s.st);
    halves[i % 2]!.success(s.ms, s.win, s.st); // each agent gets half the samples
  });
  halves[1]!.error('timeout', 3);
  one.error('timeout', 3);

  it('gives the percentiles of one histogram fed the same samples', () => {
    const merged = mergeAgents(spec, [report(1, halves[1]!), report(0, halves[0]!)]);
    const single = aggregate(spec, [one.result(0.5, spec.durationMs)]);
    expect(merged.successes).toBe(20_000);
    expect(merged.errors).toEqual({ timeout: 3 });
    expect(merged.latencyMs).toEqual(single.latencyMs);
    expect(merged.cdf).toEqual(single.cdf);
    expect(merged.windows).toEqual(single.windows);
    expect(merged.serverTiming).toEqual(single.serverTiming);
    // Averaging the two agents' p99 would not be the merged p99 here (the tails differ).
    const p99s = halves.map((h) => aggregate(spec, [h.result(0.5, spec.durationMs)]).latencyMs.p99);
    expect(p99s[0]).not.toBe(p99s[1]);
    expect(merged.latencyMs.p99).not.toBe((p99s[0]! + p99s[1]!) / 2);
  });

  it('fails an agent that was ready after the common start', () => {
    const late = [report(0, halves[0]!), report(1, halves[1]!, { readyEpochMs: 1_000_120 })];
    expect(() => checkCoverage(spec, late)).toThrow(/AGENT_LATE_START.*agent 1\/2.*120 ms/);
  });

  it('fails an agent that measured less than the window', () => {
    const short = [report(0, halves[0]!, { measuredMs: 2500 }), report(1, halves[1]!)];
    expect(() => checkCoverage(spec, short)).toThrow(AgentError);
    expect(() => checkCoverage(spec, short)).toThrow(/AGENT_SHORT_WINDOW.*agent 0\/2.*2500 ms/);
  });

  it('fails when a segment is missing or repeated', () => {
    expect(() => checkCoverage(spec, [report(0, halves[0]!)])).toThrow(/AGENT_BAD_REPORT/);
    expect(() => checkCoverage(spec, [report(0, halves[0]!), report(0, halves[1]!)])).toThrow(/AGENT_BAD_REPORT/);
  });
});
