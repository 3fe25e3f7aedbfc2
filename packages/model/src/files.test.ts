import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONFIGS, type ModelConfigName } from './configs.js';
import { defaultModelsRoot, ensureModel, type ModelManifest } from './files.js';
import { openSession, padBatch, randomSentence, runEmbed } from './testing/ort.js';
import { vocabText } from './vocab.js';

const here = dirname(fileURLToPath(import.meta.url));
let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'servebench-model-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('ensureModel', () => {
  it('writes model.onnx, vocab.txt and config.json, then reuses them', async () => {
    const m = await ensureModel('tiny', { root });
    expect(m.dir).toBe(join(root, 'tiny-s0'));
    expect(m.seed).toBe(0);
    expect(m.config).toEqual(CONFIGS.tiny);
    const onnxBytes = await readFile(m.onnx);
    expect(createHash('sha256').update(onnxBytes).digest('hex')).toBe(m.sha256);
    expect(await readFile(m.vocab, 'utf8')).toBe(vocabText());
    const manifest = JSON.parse(await readFile(m.configJson, 'utf8')) as ModelManifest;
    expect(manifest).toMatchObject({
      ...CONFIGS.tiny,
      seed: 0,
      sha256: m.sha256,
      opset: 17,
      onnxBytes: onnxBytes.length,
    });
    expect(manifest.inputs).toEqual(['input_ids', 'attention_mask', 'token_type_ids']);
    expect(manifest.outputs).toEqual(['embedding']);
    expect(typeof manifest.generatorVersion).toBe('number');

    const before = await Promise.all([m.onnx, m.vocab, m.configJson].map((p) => stat(p)));
    const again = await ensureModel('tiny', { root, seed: 0 });
    expect(again).toEqual(m);
    const after = await Promise.all([m.onnx, m.vocab, m.configJson].map((p) => stat(p)));
    // A rewrite renames a new inode into place, so same ino + mtime means no regeneration.
    expect(after.map((s) => [s.ino, s.mtimeMs])).toEqual(before.map((s) => [s.ino, s.mtimeMs]));
  });

  it('regenerates a stale config.json, but never overwrites a truncated or foreign model.onnx', async () => {
    const m = await ensureModel('tiny', { root, seed: 3 });
    const manifest = JSON.parse(await readFile(m.configJson, 'utf8')) as ModelManifest;
    await writeFile(m.configJson, JSON.stringify({ ...manifest, generatorVersion: -1 }));
    const ino = (await stat(m.onnx)).ino;
    expect((await ensureModel('tiny', { root, seed: 3 })).sha256).toBe(m.sha256);
    expect((await stat(m.onnx)).ino).not.toBe(ino);

    const bytes = await readFile(m.onnx);
    await writeFile(m.onnx, bytes.subarray(0, 1000));
    const err = ensureModel('tiny', { root, seed: 3 });
    await expect(err).rejects.toThrow(/MODEL_FOREIGN_FILE: .*tiny-s3\/model\.onnx .*truncated or modified/);
    expect((await stat(m.onnx)).size).toBe(1000); // left as it was
    await rm(m.onnx);
    expect((await ensureModel('tiny', { root, seed: 3 })).sha256).toBe(m.sha256);
    expect((await stat(m.onnx)).size).toBe(manifest.onnxBytes);

    // A user's own model.onnx dropped into the folder (no manifest of ours) is not replaced either.
    await rm(m.configJson);
    await writeFile(m.onnx, bytes.subarray(0, bytes.length - 1));
    await expect(ensureModel('tiny', { root, seed: 3 })).rejects.toThrow(/never overwritten/);
    // A complete copy of the forged bytes without its manifest is recognised and reused.
    await writeFile(m.onnx, bytes);
    expect((await ensureModel('tiny', { root, seed: 3 })).sha256).toBe(m.sha256);
  });

  it('is safe under concurrent calls and leaves no temp files', async () => {
    const sub = join(root, 'concurrent');
    const results = await Promise.all([1, 2, 3].map(() => ensureModel('tiny', { root: sub, seed: 9 })));
    expect(new Set(results.map((r) => r.sha256)).size).toBe(1);
    expect((await readdir(join(sub, 'tiny-s9'))).sort()).toEqual(['config.json', 'model.onnx', 'vocab.txt']);
  });

  it('rejects unknown names and bad seeds', async () => {
    await expect(ensureModel('huge' as ModelConfigName, { root })).rejects.toThrow(
      /MODEL_UNKNOWN: "huge" is neither a model name nor an existing path/,
    );
    await expect(ensureModel('tiny', { root, seed: -1 })).rejects.toThrow(/MODEL_BAD_SEED/);
  });

  it('defaults to <repo root>/models', () => {
    expect(defaultModelsRoot()).toBe(resolve(here, '../../../models'));
  });
});

describe('output shape', () => {
  for (const name of ['tiny', 'mini'] as const) {
    it(`${name}: embedding is [batch, hidden]`, async () => {
      const m = await ensureModel(name, { root });
      const session = await openSession(m.onnx);
      expect(session.inputNames).toEqual(['input_ids', 'attention_mask', 'token_type_ids']);
      expect(session.outputNames).toEqual(['embedding']);
      const out = await runEmbed(session, padBatch([{ ids: randomSentence(1, 6) }, { ids: randomSentence(2, 11) }]));
      expect(out.dims).toEqual([2, CONFIGS[name].hiddenSize]);
    }, 20_000);
  }
});

describe('cli', () => {
  const run = promisify(execFile);
  const cli = (...args: string[]) =>
    run(process.execPath, ['--import', 'tsx', join(here, 'cli.ts'), ...args], { cwd: here });

  it('ensures models and prints paths and sha256', async () => {
    const { stdout } = await cli('--ensure', 'tiny', '--seed', '0', '--root', root);
    const m = await ensureModel('tiny', { root });
    expect(stdout).toContain(`sha256=${m.sha256}`);
    expect(stdout).toContain(m.onnx);
  }, 20_000);

  it('exits 2 on unknown config names', async () => {
    const err = await cli('--ensure', 'tiny,huge', '--root', root).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 2 });
    expect((err as { stderr: string }).stderr).toMatch(
      /unknown model "huge"; expected tiny, mini, small, base, all-minilm-l6-v2/,
    );
  }, 20_000);

  it('prints usage with --help', async () => {
    const { stdout } = await cli('--help');
    expect(stdout).toMatch(/--ensure/);
  }, 20_000);
});
