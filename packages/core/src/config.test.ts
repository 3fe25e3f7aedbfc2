import { describe, expect, it } from 'vitest';
import { ConfigError, ENV_DEFAULTS, parseServerConfig } from './config.js';

describe('parseServerConfig: dynamic batching', () => {
  it('defaults to batching off, a 2000 us delay and no preferred sizes', () => {
    const c = parseServerConfig({});
    expect(c.batching).toEqual({ maxBatchSize: 1, maxQueueDelayUs: 2000, preferredBatchSizes: [] });
    expect(Object.isFrozen(c.batching)).toBe(true);
    expect(ENV_DEFAULTS).toMatchObject({ MAX_BATCH_SIZE: '1', MAX_QUEUE_DELAY_US: '2000', PREFERRED_BATCH_SIZES: '' });
  });

  it('reads MAX_BATCH_SIZE, MAX_QUEUE_DELAY_US and PREFERRED_BATCH_SIZES (sorted, duplicates dropped)', () => {
    const c = parseServerConfig({
      MAX_BATCH_SIZE: '32',
      MAX_QUEUE_DELAY_US: '500',
      PREFERRED_BATCH_SIZES: ' 16, 8,16 ',
      MAX_QUEUE: '64',
    });
    expect(c.batching).toEqual({ maxBatchSize: 32, maxQueueDelayUs: 500, preferredBatchSizes: [8, 16] });
    expect(c.maxQueue).toBe(64);
    expect(parseServerConfig({ MAX_QUEUE_DELAY_US: '0' }).batching.maxQueueDelayUs).toBe(0);
  });

  it.each([
    [{ MAX_BATCH_SIZE: '0' }, /^MAX_BATCH_SIZE=0 is invalid/],
    [{ MAX_BATCH_SIZE: '2.5' }, /^MAX_BATCH_SIZE=2\.5 is invalid/],
    [{ MAX_QUEUE_DELAY_US: '-1' }, /^MAX_QUEUE_DELAY_US=-1 is invalid/],
    [{ MAX_QUEUE_DELAY_US: 'soon' }, /^MAX_QUEUE_DELAY_US=soon is invalid/],
    [
      { MAX_BATCH_SIZE: '16', PREFERRED_BATCH_SIZES: '8,32' },
      /^PREFERRED_BATCH_SIZES=8,32 is invalid: "32" .*\[1, 16\] \(MAX_BATCH_SIZE\)/,
    ],
    [{ MAX_BATCH_SIZE: '16', PREFERRED_BATCH_SIZES: '4,,8' }, /^PREFERRED_BATCH_SIZES=4,,8 is invalid/],
    [{ MAX_BATCH_SIZE: '16', PREFERRED_BATCH_SIZES: 'eight' }, /^PREFERRED_BATCH_SIZES=eight is invalid/],
    [{ PREFERRED_BATCH_SIZES: '4' }, /^PREFERRED_BATCH_SIZES=4 is invalid: .*\[1, 1\] \(MAX_BATCH_SIZE\)/],
  ])('rejects %o with a ConfigError naming the variable', (env, message) => {
    expect(() => parseServerConfig(env)).toThrow(ConfigError);
    expect(() => parseServerConfig(env)).toThrow(message);
  });
});

describe('parseServerConfig: slow clients and the work bound (issue 15)', () => {
  it('has one set of defaults, shared with the Python peers', () => {
    const c = parseServerConfig({});
    expect(c.connections).toEqual({
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      idleTimeoutMs: 30_000,
      maxConnections: 768,
      sendTimeoutMs: 30_000,
    });
    expect(c.maxQueueTokens).toBe(262_144);
    expect(Object.isFrozen(c.connections)).toBe(true);
  });

  it.each([
    [{ IDLE_TIMEOUT_MS: '0' }, /^IDLE_TIMEOUT_MS=0 is invalid/],
    [{ MAX_CONNECTIONS: 'lots' }, /^MAX_CONNECTIONS=lots is invalid/],
    [{ SEND_TIMEOUT_MS: '0' }, /^SEND_TIMEOUT_MS=0 is invalid/],
    [{ MAX_QUEUE_TOKENS: '0' }, /^MAX_QUEUE_TOKENS=0 is invalid/],
  ])('rejects %o naming the variable', (env, message) => {
    expect(() => parseServerConfig(env)).toThrow(message);
  });
});
