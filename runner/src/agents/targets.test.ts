import { describe, expect, it } from 'vitest';
import type { LoadSpec } from '../load/types.js';
import { parseReport, parseRequest } from './protocol.js';
import { parseSegment, segmentSpec } from './segment.js';
import { agentArgv, parseAgents } from './targets.js';

const argvOpts = { node: '/usr/bin/node', cli: '/repo/runner/dist/cli.js' };

describe('--agents', () => {
  it('renders pinned local agents as taskset argv', () => {
    const t = parseAgents('local@0,local@1-3+5');
    expect(t).toEqual([
      { kind: 'local', cpus: '0' },
      { kind: 'local', cpus: '1-3+5' },
    ]);
    expect(agentArgv(t[1]!, argvOpts)).toEqual([
      'taskset',
      '-c',
      '1-3,5',
      '/usr/bin/node',
      '/repo/runner/dist/cli.js',
      'agent',
    ]);
    expect(agentArgv({ kind: 'local' }, argvOpts)).toEqual(['/usr/bin/node', '/repo/runner/dist/cli.js', 'agent']);
  });

  // Rendering only: no SSH server is reachable here, so no real SSH agent runs in any test.
  it('renders ssh://host1,host2 as ssh argv, a bare item taking the scheme', () => {
    const t = parseAgents('ssh://host1,bench@host2:2222,[::1]');
    expect(t).toEqual([
      { kind: 'ssh', host: 'host1' },
      { kind: 'ssh', host: 'host2', user: 'bench', port: 2222 },
      { kind: 'ssh', host: '[::1]' },
    ]);
    expect(agentArgv(t[0]!, argvOpts)).toEqual([
      'ssh',
      '-o',
      'BatchMode=yes',
      '-T',
      '--',
      'host1',
      'servebench',
      'agent',
    ]);
    expect(agentArgv(t[1]!, { ...argvOpts, remoteCommand: 'npx servebench agent' })).toEqual([
      'ssh',
      '-o',
      'BatchMode=yes',
      '-T',
      '-p',
      '2222',
      '--',
      'bench@host2',
      'npx',
      'servebench',
      'agent',
    ]);
  });

  it('refuses option-like hosts, bad CPU lists and shell words', () => {
    expect(() => parseAgents('ssh://-oProxyCommand=x')).toThrow(/AGENT_BAD_SPEC/);
    expect(() => parseAgents('host1')).toThrow(/AGENT_BAD_SPEC/);
    expect(() => parseAgents('local@0;rm')).toThrow(/AGENT_BAD_SPEC/);
    expect(() => parseAgents('local@0,,local@1')).toThrow(/AGENT_BAD_SPEC/);
    expect(() =>
      agentArgv({ kind: 'ssh', host: 'h' }, { ...argvOpts, remoteCommand: 'servebench agent; rm -rf /' }),
    ).toThrow(/AGENT_BAD_SPEC/);
  });
});

describe('segments', () => {
  const spec = {
    host: '127.0.0.1',
    port: 1,
    requests: [],
    expect: [],
    mode: 'open',
    concurrency: 7,
    rate: 700,
    maxRequests: 101,
    seed: 3,
    warmupMs: 0,
    durationMs: 1,
    windowMs: 1,
    timeoutMs: 1,
  } satisfies LoadSpec;

  it('splits connections, rate and maxRequests so the segments add up', () => {
    const segs = [0, 1, 2].map((index) => segmentSpec(spec, { index, count: 3 }));
    expect(segs.map((s) => s.concurrency)).toEqual([3, 2, 2]);
    expect(segs.reduce((a, s) => a + s.rate!, 0)).toBeCloseTo(700, 9);
    expect(segs.reduce((a, s) => a + s.maxRequests!, 0)).toBe(101);
    expect(new Set(segs.map((s) => s.seed)).size).toBe(3);
  });

  it('refuses a segment without connections and malformed i/N', () => {
    expect(() => segmentSpec({ ...spec, concurrency: 2 }, { index: 2, count: 3 })).toThrow(/AGENT_BAD_SEGMENT/);
    expect(parseSegment('1/4')).toEqual({ index: 1, count: 4 });
    for (const bad of ['4/4', '-1/2', '1/0', 'a/b', '1']) expect(() => parseSegment(bad)).toThrow(/AGENT_BAD_SEGMENT/);
  });

  it('refuses a malformed request or report', () => {
    expect(() => parseRequest('{')).toThrow(/AGENT_BAD_REQUEST/);
    expect(() => parseRequest('{"spec":{}}')).toThrow(/AGENT_BAD_REQUEST/);
    expect(() => parseReport('log line\n{"segment":{}}\n', 'a')).toThrow(/AGENT_BAD_REPORT/);
  });
});
