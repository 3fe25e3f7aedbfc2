import { describe, expect, it } from 'vitest';
import { PROFILES, concurrencyFor } from './profiles.js';
import { UsageError, resolveSettings } from './settings.js';

describe('resolveSettings', () => {
  it('defaults to the quick profile and freezes the result', () => {
    const s = resolveSettings({});
    expect(s.profile).toBe('quick');
    expect(s.model).toBe('mini');
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
