import { describe, expect, it } from 'vitest';
import { UsageError, resolveSettings } from '../settings.js';
import { CAPACITY_DEFAULTS } from './defaults.js';
import { resolveCapacity } from './flags.js';
import { parseSlo, sloFor } from './slo.js';

const fail = (m: string): never => {
  throw new Error(m);
};

describe('capacity settings', () => {
  it('quick and full have a capacity stage, smoke and seed none; --no-capacity drops it', () => {
    expect(resolveSettings({ profile: 'quick' }).capacity?.tasks).toEqual(['predict']);
    expect(resolveSettings({ profile: 'full' }).capacity?.tasks).toEqual(['hello_world', 'tokenize', 'predict']);
    expect(resolveSettings({ profile: 'smoke' }).capacity).toBeUndefined();
    expect(resolveSettings({ profile: 'quick', capacity: false }).capacity).toBeUndefined();
  });

  it('--slo sets targets per task; a profile without a capacity stage refuses it', () => {
    expect(resolveSettings({ profile: 'quick', slo: ['predict:p99=80'] }).capacity?.slo).toEqual({ predict: 80 });
    expect(() => resolveSettings({ profile: 'smoke', slo: ['predict:p99=80'] })).toThrow(UsageError);
    expect(() => resolveSettings({ profile: 'quick', slo: ['predict:p95=80'] })).toThrow(/expected <task>:p99=<ms>/);
  });

  it('parses SLO units and falls back to mini for a model without defaults', () => {
    expect(parseSlo(['predict:p99=0.2s', 'tokenize:p99=5ms'])).toEqual({ predict: 200, tokenize: 5 });
    expect(sloFor('base', 'predict')).toBe(500);
    expect(sloFor('/some/model.onnx', 'predict')).toBe(sloFor('mini', 'predict'));
    expect(sloFor('mini', 'predict', { predict: 7 })).toBe(7);
  });

  it('validates probe bounds', () => {
    const s = resolveCapacity(CAPACITY_DEFAULTS.quick, { minQueries: '500', tolerance: '0.05', maxProbes: '8' }, fail);
    expect(s).toMatchObject({ minQueries: 500, tolerance: 0.05, maxProbes: 8, minDurationS: 1.5 });
    expect(() => resolveCapacity(undefined, { tolerance: '1.5' }, fail)).toThrow(/--tolerance 1.5/);
    expect(() => resolveCapacity(undefined, { maxDuration: '1' }, fail)).toThrow(/below --min-duration/);
    expect(() => resolveCapacity(undefined, { capacityTasks: 'embed' }, fail)).toThrow(/--capacity-tasks embed/);
  });
});
