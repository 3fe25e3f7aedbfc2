import { describe, expect, it } from 'vitest';
import { ghzArgs, parseGhzJson } from './grpc-ghz.js';

// Captured from ghz v0.93.0 (-O json, details and histogram trimmed), one error added.
const REPORT = JSON.stringify({
  endReason: 'timeout',
  count: 52,
  total: 61465191,
  rps: 846.0,
  statusCodeDistribution: { OK: 50, Unavailable: 2 },
  latencyDistribution: [
    { percentage: 10, latency: 1053268 },
    { percentage: 50, latency: 2945307 },
    { percentage: 90, latency: 8884471 },
    { percentage: 99, latency: 9980787 },
  ],
});

describe('ghz cross-check wrapper', () => {
  it('counts only OK replies as throughput and converts ns to ms', () => {
    const r = parseGhzJson(REPORT);
    expect(r.ok).toBe(50);
    expect(r.errors).toEqual({ Unavailable: 2 });
    expect(r.rps).toBeCloseTo(50 / 0.061465191, 6);
    expect(r.latencyMs).toEqual({ p50: 2.945307, p90: 8.884471, p99: 9.980787 });
  });

  it('rejects a report without counts', () => {
    expect(() => parseGhzJson('{"error":"x"}')).toThrow(/unexpected report/);
  });

  it('builds the command line the README documents', () => {
    const args = ghzArgs({
      host: '127.0.0.1',
      port: 50051,
      call: 'servebench.v1.Serving.HelloWorld',
      data: {},
      concurrency: 32,
      connections: 1,
      cpus: 1,
      durationS: 10,
      timeoutS: 5,
    });
    expect(args.join(' ')).toMatch(
      /--insecure --proto \S+servebench\.proto --call servebench\.v1\.Serving\.HelloWorld -d \{\} -c 32 --connections 1 --cpus 1 -z 10s --duration-stop ignore -t 5s -O json 127\.0\.0\.1:50051$/,
    );
  });
});
