// The placement, price and cross-check flags as resolveSettings applies them.
import { describe, expect, it } from 'vitest';
import { DEFAULT_PRICE_PER_CORE_HOUR } from '../resources/cost.js';
import { UsageError, resolveSettings } from '../settings.js';
import { availableCpus } from './cpus.js';

const cpus = availableCpus();

describe('resolveSettings: --cpus, --threads, --price-per-core-hour, --crosscheck', () => {
  it.skipIf(cpus.length < 2)('defaults to the half/half split and threads follow the server set', () => {
    const s = resolveSettings({});
    expect(s.placement).toMatchObject({ source: 'default' });
    expect(s.placement!.server.length + s.placement!.load.length).toBe(cpus.length);
    expect(s.intraOpThreads).toBe(s.placement!.server.length);
    expect(s.intraOpThreadsFrom).toBe('server-set');
    expect(s.pricePerCoreHour).toBe(DEFAULT_PRICE_PER_CORE_HOUR);
    expect(s.crosscheck).toBe('auto');
  });

  it('turns placement off with none (threads from the profile) and lets --threads override', () => {
    expect(resolveSettings({ cpus: 'none' })).toMatchObject({ placement: null, intraOpThreadsFrom: 'profile' });
    expect(resolveSettings({ cpus: 'none', threads: '3' })).toMatchObject({
      intraOpThreads: 3,
      intraOpThreadsFrom: 'flag',
    });
  });

  it.skipIf(cpus.length < 2)('takes explicit sets', () => {
    const s = resolveSettings({ cpus: `server=${cpus[1]},load=${cpus[0]}` });
    expect(s.placement).toEqual({ server: [cpus[1]], load: [cpus[0]], source: 'flag' });
  });

  it('rejects bad values as usage errors', () => {
    expect(() => resolveSettings({ cpus: 'server=0,load=0' })).toThrow(UsageError);
    expect(() => resolveSettings({ cpus: 'server=0,load=4096' })).toThrow(/not available/);
    expect(() => resolveSettings({ cpus: 'none', pricePerCoreHour: '-1' })).toThrow(/--price-per-core-hour/);
  });

  it('reads the price and the cross-check list', () => {
    const s = resolveSettings({ cpus: 'none', pricePerCoreHour: '0.1', crosscheck: 'fastify+ort,grpc+ort' });
    expect(s.pricePerCoreHour).toBe(0.1);
    expect(s.crosscheck).toEqual(['fastify+ort', 'grpc+ort']);
    expect(resolveSettings({ cpus: 'none', crosscheck: 'none' }).crosscheck).toBe('none');
  });
});
