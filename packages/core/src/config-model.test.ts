import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, parseServerConfig } from './config.js';

const dir = mkdtempSync(join(tmpdir(), 'servebench-model-spec-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('parseServerConfig: MODEL', () => {
  it('takes the generated configs, the named real models and an existing path', () => {
    expect(parseServerConfig({}).model).toBe('mini');
    for (const m of ['tiny', 'base', 'all-minilm-l6-v2', 'all-minilm-l6-v2-int8', dir]) {
      expect(parseServerConfig({ MODEL: m }).model).toBe(m);
    }
  });

  it('rejects anything else, listing what it accepts', () => {
    for (const m of ['huge', join(dir, 'missing'), '']) {
      expect(() => parseServerConfig({ MODEL: m })).toThrow(ConfigError);
    }
    expect(() => parseServerConfig({ MODEL: 'huge' })).toThrow(
      /^MODEL=huge is invalid: expected tiny, mini, small, base, all-minilm-l6-v2, all-minilm-l6-v2-int8, a Hugging Face directory, or an ONNX export/,
    );
  });
});
