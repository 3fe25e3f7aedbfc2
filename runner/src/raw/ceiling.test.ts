// Each runtime ceiling on the tiny model, briefly, pinned to one CPU. Counts are only checked to be
// positive and consistent with their windows (no timing assertions).
import { fileURLToPath } from 'node:url';
import { sentences } from '@servebench/contract';
import { ensureModel } from '@servebench/model';
import { describe, expect, it } from 'vitest';
import { availableCpus } from '../placement/cpus.js';
import { CEILING_RUNTIMES, ceilingRuntimeFor, measureCeiling } from './ceiling.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const cpus = availableCpus();

describe('ceilingRuntimeFor', () => {
  it('maps backends and languages to the runtime that bounds them', () => {
    expect(ceilingRuntimeFor({ backend: 'ort', language: 'typescript' })).toBe('ort-node');
    expect(ceilingRuntimeFor({ backend: 'ort', language: 'python' })).toBe('ort-python');
    expect(ceilingRuntimeFor({ backend: 'tfjs-wasm' })).toBe('tfjs-wasm');
    expect(ceilingRuntimeFor({ backend: 'triton-grpc' })).toBeUndefined();
    expect(ceilingRuntimeFor({ backend: 'tfserving-rest' })).toBeUndefined();
  });
});

describe('measureCeiling', () => {
  it.each(CEILING_RUNTIMES)(
    '%s: back-to-back calls on the server CPU set, counted by completion',
    async (runtime) => {
      const files = await ensureModel('tiny', { seed: 0 });
      const r = await measureCeiling({
        runtime,
        root,
        onnx: files.onnx,
        vocab: files.vocab,
        maxLength: files.config.maxPositions,
        texts: sentences('short').slice(0, 16),
        threads: 1,
        warmupMs: 200,
        durationMs: 600,
        windowMs: 200,
        cpus: [cpus[cpus.length - 1]!],
      });
      if (r.status === 'unavailable') {
        // Only the Python venv may be absent (a fresh clone that has not built servers/fastapi).
        expect(runtime).toBe('ort-python');
        expect(r.reason).toMatch(/servers\/fastapi\/.venv/);
        return;
      }
      expect(r.status === 'ok' ? '' : r.reason).toBe('');
      if (r.status !== 'ok') return;
      expect(r.completed).toBeGreaterThan(0);
      expect(r.windows).toHaveLength(3);
      expect(r.rps).toBeCloseTo(r.windows.reduce((a, b) => a + b, 0) / 3, 6);
      expect(r.info.cpus_allowed).toBe(String(cpus[cpus.length - 1]));
      expect(r.cpus).toBe(String(cpus[cpus.length - 1]));
    },
    120_000,
  );

  it('reports a missing Python interpreter as unavailable, with a relative path', async () => {
    const files = await ensureModel('tiny', { seed: 0 });
    const r = await measureCeiling({
      runtime: 'ort-python',
      root: '/nonexistent-root',
      onnx: files.onnx,
      vocab: files.vocab,
      maxLength: files.config.maxPositions,
      texts: ['x'],
      threads: 1,
      warmupMs: 0,
      durationMs: 100,
      windowMs: 100,
    });
    expect(r).toMatchObject({ status: 'unavailable', reason: expect.stringMatching(/^servers\/fastapi/) });
  });
});
