import { describe, expect, it } from 'vitest';
import { PROFILES, concurrencyFor, roundsFor, lightSharedWith, matrixOf, tasksOf } from './profiles.js';
import { UsageError, resolveSettings } from './settings.js';

describe('resolveSettings', () => {
  it('defaults to the quick profile and freezes the result', () => {
    const s = resolveSettings({});
    expect(s.profile).toBe('quick');
    expect(s.model).toBe('all-minilm-l6-v2');
    expect(Object.isFrozen(s)).toBe(true);
  });

  it('applies flags over the profile', () => {
    const s = resolveSettings({
      profile: 'smoke',
      concurrency: '2,4',
      tasks: 'predict',
      model: 'mini',
      duration: '3',
      raw: false,
    });
    expect(s).toMatchObject({
      profile: 'smoke',
      concurrency: [2, 4],
      tasks: ['predict'],
      model: 'mini',
      durationS: 3,
      raw: false,
    });
  });

  it.each([
    [{ profile: 'fast' }, /--profile fast/],
    [{ concurrency: '1,x' }, /--concurrency x/],
    [{ concurrency: '0' }, /--concurrency 0/],
    [{ tasks: 'predict,embed' }, /--tasks embed/],
    [{ model: 'huge' }, /--model huge/],
    [{ duration: '1', window: '1' }, /shorter than 3 stability windows/],
  ])('rejects %o', (flags, message) => {
    expect(() => resolveSettings(flags)).toThrow(UsageError);
    expect(() => resolveSettings(flags)).toThrow(message);
  });

  it('uses 2x concurrency for the light tasks in the seed profile, like the seed benchmark', () => {
    const seed = PROFILES.seed!;
    expect(concurrencyFor(seed, 'predict')).toEqual([20, 50, 100, 200]);
    expect(concurrencyFor(seed, 'hello_world')).toEqual([40, 100, 200, 400]);
  });
});

describe('rounds settings', () => {
  it('gives quick 5 rounds of predict c=32 and 3 of every other cell, full and seed 5 of everything', () => {
    expect(PROFILES.quick).toMatchObject({ rounds: 5, roundTolerance: 0.1, extraRounds: 0 });
    expect(roundsFor(PROFILES.quick!, { task: 'predict', concurrency: 32 })).toBe(5);
    expect(roundsFor(PROFILES.quick!, { task: 'predict', concurrency: 1 })).toBe(3);
    expect(roundsFor(PROFILES.quick!, { task: 'hello_world', concurrency: 32 })).toBe(3);
    expect(roundsFor(PROFILES.full!, { task: 'hello_world', concurrency: 32 })).toBe(5);
    expect(PROFILES.full).toMatchObject({ rounds: 5 });
    expect(PROFILES.seed).toMatchObject({ rounds: 5 });
  });

  it('shrinks the quick matrix: predict c=1 and 32, the light tasks at c=32 only', () => {
    const quick = PROFILES.quick!;
    expect(concurrencyFor(quick, 'predict')).toEqual([1, 32]);
    expect(concurrencyFor(quick, 'tokenize')).toEqual([32]);
    expect(matrixOf(quick)).toHaveLength(4);
    expect(matrixOf(PROFILES.full!)).toHaveLength(12);
  });

  it('measures the light tasks once per server in quick, on its ort variant, and on every stack in full', () => {
    const stacks = [
      { id: 'fastify+triton-http', server: 'fastify', backend: 'triton-http' },
      { id: 'fastify+ort', server: 'fastify', backend: 'ort' },
      { id: 'fastify+triton-grpc', server: 'fastify', backend: 'triton-grpc' },
      { id: 'flask+triton-http', server: 'flask', backend: 'triton-http' },
      { id: 'tfjs+tfjs-wasm', server: 'tfjs', backend: 'tfjs-wasm' },
    ];
    const shared = lightSharedWith(stacks);
    expect([...shared]).toEqual([
      ['fastify+triton-http', 'fastify+ort'],
      ['fastify+triton-grpc', 'fastify+ort'],
    ]);
    const quick = PROFILES.quick!;
    expect(tasksOf(quick, shared, 'fastify+triton-grpc')).toEqual(['predict']);
    expect(tasksOf(quick, shared, 'flask+triton-http')).toEqual(quick.tasks);
    expect(quick.lightOncePerServer).toBe(true);
    expect(PROFILES.full!.lightOncePerServer).toBeUndefined();
  });

  it('takes --rounds, --extra-rounds, --no-calibration and --relaunch', () => {
    const s = resolveSettings({ rounds: '2', extraRounds: '0', calibration: false, relaunch: true });
    expect(s).toMatchObject({ rounds: 2, extraRounds: 0, calibration: false, keepStacksUp: false });
    expect(() => resolveSettings({ rounds: '0' })).toThrow(/--rounds 0/);
  });

  it('applies --concurrency to every task unless --light-concurrency names the light levels', () => {
    expect(concurrencyFor(resolveSettings({ concurrency: '4,16' }), 'hello_world')).toEqual([4, 16]);
    const s = resolveSettings({ concurrency: '4,16', lightConcurrency: '64' });
    expect(concurrencyFor(s, 'hello_world')).toEqual([64]);
    expect(concurrencyFor(s, 'predict')).toEqual([4, 16]);
  });
});
