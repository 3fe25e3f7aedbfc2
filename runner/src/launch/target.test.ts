import net from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runLoad } from '../load/engine.js';
import { resolveSettings, UsageError } from '../settings.js';
import { parseTargets } from './target.js';

// 192.0.2.0/24 is TEST-NET-1 (documentation only). Nothing here may connect to it: the refusal
// happens while parsing, and a spy on every socket connect proves no connection was attempted.
const REMOTE = 'http://192.0.2.10:8101';

describe('--target', () => {
  afterEach(() => vi.restoreAllMocks());

  it('takes loopback endpoints by default', () => {
    expect(parseTargets(['fastify+ort=http://127.0.0.1:8101', 'grpc+ort=grpc://[::1]:50051'], false)).toEqual({
      'fastify+ort': { url: 'http://127.0.0.1:8101', remote: false },
      'grpc+ort': { url: '[::1]:50051', remote: false },
    });
  });

  it('refuses a non-loopback URL without --allow-remote, before any connection', () => {
    const connect = vi.spyOn(net.Socket.prototype, 'connect');
    expect(() => parseTargets([`fastify+ort=${REMOTE}`], false)).toThrow(/TARGET_NOT_LOOPBACK.*--allow-remote/);
    expect(() => resolveSettings({ target: [`fastify+ort=${REMOTE}`] })).toThrow(UsageError);
    expect(() => parseTargets(['fastify+ort=http://localhost.example:8101'], false)).toThrow(/TARGET_NOT_LOOPBACK/);
    expect(connect).not.toHaveBeenCalled();
  });

  it('records a non-loopback target as remote with --allow-remote (parsing only, no traffic)', () => {
    const s = resolveSettings({ target: [`fastify+ort=${REMOTE}`], allowRemote: true });
    expect(s.targets).toEqual({ 'fastify+ort': { url: 'http://192.0.2.10:8101', remote: true } });
    expect(s.allowRemote).toBe(true);
    expect(resolveSettings({}).targets).toBeUndefined();
  });

  it('refuses malformed targets', () => {
    for (const bad of [
      'fastify+ort',
      '=http://127.0.0.1:1',
      'x=http://127.0.0.1',
      'x=ftp://127.0.0.1:1',
      'x=http://127.0.0.1:1/p',
    ])
      expect(() => parseTargets([bad], false), bad).toThrow(/AGENT_BAD_SPEC/);
    expect(() => parseTargets(['x=http://127.0.0.1:1', 'x=http://127.0.0.1:2'], false)).toThrow(/twice/);
    expect(() => parseTargets(['x=grpc://192.0.2.1:1'], true)).toThrow(/gRPC/);
  });

  it('the engine still refuses a non-loopback host unless allowed, without connecting', async () => {
    const connect = vi.spyOn(net.Socket.prototype, 'connect');
    const spec = {
      host: '192.0.2.10',
      port: 8101,
      requests: [{ method: 'GET' as const, path: '/healthz' }],
      expect: [{ kind: 'exact' as const, body: '' }],
      mode: 'closed' as const,
      concurrency: 1,
      warmupMs: 0,
      durationMs: 100,
      windowMs: 100,
      timeoutMs: 100,
    };
    await expect(runLoad(spec)).rejects.toThrow(/non-loopback/);
    expect(connect).not.toHaveBeenCalled();
  });
});
