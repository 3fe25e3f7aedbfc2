import http from 'node:http';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { parseWrkCount, parseWrkOutput, parseWrkTime, runWrk, wrkAvailable } from './wrk.js';

// Captured from wrk 4.1.0 (Debian) against test stand-in node:http servers on 127.0.0.1.
const OK_64 = `Running 3s test @ http://127.0.0.1:18081/
  1 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    11.38ms   29.86ms 287.08ms   93.07%
    Req/Sec    18.18k    12.34k   34.58k    43.33%
  Latency Distribution
     50%    2.33ms
     75%    5.97ms
     90%   17.23ms
     99%  170.84ms
  54384 requests in 3.04s, 6.59MB read
Requests/sec:  17899.45
Transfer/sec:      2.17MB
`;

const NON2XX = `Running 2s test @ http://127.0.0.1:18082/
  2 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   415.05us  820.14us  20.82ms   95.99%
    Req/Sec    26.28k     6.69k   50.23k    85.37%
  Latency Distribution
     50%  259.00us
     75%  368.00us
     90%  538.00us
     99%    3.57ms
  107111 requests in 2.10s, 13.46MB read
  Non-2xx or 3xx responses: 26778
Requests/sec:  51062.06
Transfer/sec:      6.42MB
`;

const TIMEOUTS = `Running 3s test @ http://127.0.0.1:18083/
  1 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   691.72us    1.76ms  18.80ms   95.28%
    Req/Sec     2.04k     2.66k    3.92k   100.00%
  Latency Distribution
     50%  176.00us
     75%  616.00us
     90%    1.36ms
     99%   10.07ms
  792 requests in 3.01s, 98.23KB read
  Socket errors: connect 0, read 0, write 0, timeout 8
Requests/sec:    262.78
Transfer/sec:     32.59KB
`;
// Hand-made: seconds, minutes and M suffixes, as wrk prints them for long runs.
const LONG = `Running 1m test @ http://127.0.0.1:8080/
  12 threads and 400 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   635.91us    1.10ms   2.01s    98.51%
    Req/Sec     1.21M   120.00k    1.50M    70.00%
  Latency Distribution
     50%  500.00us
     75%  800.00us
     90%    1.20ms
     99%    1.02s
  21705002 requests in 1.00m, 2.57GB read
  Socket errors: connect 155, read 2, write 0, timeout 3
Requests/sec: 361753.36
Transfer/sec:     43.81MB
`;

describe('wrk output parser', () => {
  it('parses units', () => {
    expect(parseWrkTime('350.00us')).toBeCloseTo(0.35, 9);
    expect(parseWrkTime('2.33ms')).toBe(2.33);
    expect(parseWrkTime('1.20s')).toBe(1200);
    expect(parseWrkTime('1.00m')).toBe(60_000);
    expect(parseWrkCount('18.18k')).toBeCloseTo(18_180, 6);
    expect(parseWrkCount('1.2M')).toBeCloseTo(1_200_000, 6);
    expect(parseWrkCount('54384')).toBe(54_384);
    expect(() => parseWrkTime('12 parsecs')).toThrow();
  });

  it('parses a clean run', () => {
    expect(parseWrkOutput(OK_64)).toEqual({
      rps: 17899.45,
      latencyMs: { p50: 2.33, p90: 17.23, p99: 170.84, max: 287.08 },
      requests: 54384,
      errors: 0,
      errorDetail: { connect: 0, read: 0, write: 0, timeout: 0, status: 0 },
      durationS: 3.04,
    });
  });

  it('parses sub-ms percentiles and non-2xx counts', () => {
    const r = parseWrkOutput(NON2XX);
    expect(r.latencyMs.p50).toBeCloseTo(0.259, 9);
    expect(r.errors).toBe(26778);
    expect(r.errorDetail.status).toBe(26778);
    expect(r.requests).toBe(107111);
  });

  it('parses socket errors / timeouts', () => {
    const r = parseWrkOutput(TIMEOUTS);
    expect(r.errorDetail).toEqual({ connect: 0, read: 0, write: 0, timeout: 8, status: 0 });
    expect(r.rps).toBe(262.78);
  });

  it('parses seconds, minutes and M suffixes', () => {
    const r = parseWrkOutput(LONG);
    expect(r.latencyMs).toEqual({ p50: 0.5, p90: 1.2, p99: 1020, max: 2010 });
    expect(r.durationS).toBe(60);
    expect(r.errors).toBe(160);
  });

  it('rejects output without a latency table', () => {
    expect(() => parseWrkOutput('unable to connect to 127.0.0.1:1 Connection refused')).toThrow(/no .* in output/);
  });
});

describe('runWrk', () => {
  it('refuses non-loopback URLs', () => {
    expect(() =>
      runWrk({ url: 'http://10.1.2.3:8080/', connections: 1, threads: 1, durationS: 1, timeoutS: 1 }),
    ).toThrow(/non-loopback/);
  });

  it('says how to install wrk when it is not on PATH', () => {
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      expect(() =>
        runWrk({ url: 'http://127.0.0.1:1/', connections: 1, threads: 1, durationS: 1, timeoutS: 1 }),
      ).toThrow(/apt-get install wrk/);
    } finally {
      process.env.PATH = path;
    }
  });

  it.skipIf(!wrkAvailable())('runs wrk against a test stand-in server (only when wrk is installed)', async () => {
    const server = http.createServer((_req, res) => res.end('ok'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as net.AddressInfo).port;
      const r = await runWrk({
        url: `http://127.0.0.1:${port}/`,
        connections: 4,
        threads: 1,
        durationS: 1,
        timeoutS: 1,
      });
      expect(r.requests).toBeGreaterThan(0);
      expect(r.errors).toBe(0);
      expect(r.latencyMs.p99).toBeGreaterThanOrEqual(r.latencyMs.p50);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
