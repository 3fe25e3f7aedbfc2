import { describe, expect, it } from 'vitest';
import { OVERLOAD_RSS_LIMIT_MB } from './probes.js';
import type { ProbeResult } from './hardening.js';
import { reliabilityOk, renderReliability, type ReliabilityRow } from './report.js';

const good: ReliabilityRow = {
  stack: 'a+ort',
  abuse: { cases: 389, crashes: 0, serverErrors: 0, leaks: 0, failures: [] },
  overload: {
    sent: 1200,
    served: 300,
    shed: 900,
    shedWithoutRetryAfter: 0,
    other: [],
    healthFailures: 0,
    peakRssMb: 210.4,
    recovered: true,
  },
  shutdown: { inFlight: 40, lost: [], exit: { code: 0, signal: null } },
};

describe('reliability report', () => {
  it('renders one row per stack with the figures, and a skipped stack with its reason', () => {
    const md = renderReliability(
      [good, { stack: 'b+tfjs-node', skipped: 'cannot run here: @tensorflow/tfjs-node is not installed' }],
      'test machine',
    );
    expect(md).toContain('Machine: test machine.');
    expect(md).toContain(`peak RSS (bound ${OVERLOAD_RSS_LIMIT_MB} MB)`);
    expect(md).toContain(
      '| a+ort | 389 | 0 | 0 | 0 | 0 | 300 / 900 (0) / 0 of 1200 | 0 | 210 ok | yes | 0 of 40 | 0 |',
    );
    expect(md).toContain('| b+tfjs-node | cannot run here: @tensorflow/tfjs-node is not installed |');
    expect(md).not.toContain('Failures:');
  });

  it('passes only when every measured stack meets every bar', () => {
    expect(reliabilityOk([good, { stack: 'x', skipped: 'cannot run here: no GPU' }])).toBe(true);
    expect(reliabilityOk([{ stack: 'x', skipped: 'failed: exited with 1' }])).toBe(false);
    expect(reliabilityOk([{ ...good, abuse: { ...good.abuse!, serverErrors: 1 } }])).toBe(false);
    expect(reliabilityOk([{ ...good, overload: { ...good.overload!, peakRssMb: OVERLOAD_RSS_LIMIT_MB + 1 } }])).toBe(
      false,
    );
    const lost = { ...good, shutdown: { ...good.shutdown!, lost: ['no answer: socket hang up'] } };
    expect(reliabilityOk([lost])).toBe(false);
    expect(renderReliability([lost], 'm')).toContain('- a+ort shutdown: no answer: socket hang up');
  });
});

describe('hardening table', () => {
  const probe = (p: Partial<ProbeResult>): ProbeResult => ({
    probe: 'accent',
    ms: 120.4,
    outcome: '200',
    worstHealthMs: 12.2,
    peakRssMb: 180.6,
    ok: true,
    ...p,
  });

  it('renders a row per stack and probe: time, outcome, worst /healthz, peak RSS, verdict', () => {
    const md = renderReliability(
      [
        {
          ...good,
          hardening: [
            probe({}),
            probe({ probe: 'unique-words', rssGrowthMb: 12.3 }),
            probe({
              probe: 'idle',
              ms: undefined,
              outcome: '3 of 20 still open',
              ok: false,
              why: 'not answered or closed in time',
            }),
          ],
        },
      ],
      'm',
    );
    expect(md).toContain('| a+ort | accent | 120 | 200 | 12 | 181 | ok |');
    expect(md).toContain('| a+ort | unique-words | 120 | 200 | 12 | 181 (+12) | ok |');
    expect(md).toContain(
      '| a+ort | idle | **none** | 3 of 20 still open | 12 | 181 | **not answered or closed in time** |',
    );
    expect(md).toContain('- a+ort idle: not answered or closed in time');
  });

  it('fails the run when a probe misses its bound', () => {
    expect(reliabilityOk([{ ...good, hardening: [probe({})] }])).toBe(true);
    expect(reliabilityOk([{ ...good, hardening: [probe({ ok: false, why: '/healthz took 900 ms' })] }])).toBe(false);
  });
});
