import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONFIGS, isModelConfigName, validateSeed, type BertConfig, type ModelConfigName } from './configs.js';
import { forgeOnnx, GENERATOR_NAME, GENERATOR_VERSION } from './forge.js';
import { INPUT_NAMES, IR_VERSION, OPSET, OUTPUT_NAME } from './graph.js';
import { VOCAB_SHA256, vocabText } from './vocab.js';

export interface ModelFiles {
  dir: string;
  onnx: string;
  vocab: string;
  configJson: string;
  config: BertConfig;
  seed: number;
  sha256: string;
}

/** Contents of config.json: the BertConfig fields flattened, plus provenance. */
export interface ModelManifest extends BertConfig {
  seed: number;
  sha256: string;
  onnxBytes: number;
  vocabSha256: string;
  vocabBytes: number;
  opset: number;
  irVersion: number;
  generator: string;
  generatorVersion: number;
  inputs: string[];
  outputs: string[];
  pooling: 'masked-mean';
  denseWeightLayout: '[in, out]';
}

/** `<repo root>/models`, the repo root being the nearest ancestor holding turbo.json. */
export function defaultModelsRoot(): string {
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'turbo.json'))) return join(dir, 'models');
    if (dirname(dir) === dir) break;
  }
  throw new Error(`MODEL_NO_REPO_ROOT: no turbo.json above ${start}; pass opts.root`);
}

/** Manifest fields known before forging; a cached config.json must match all of them. */
function expectedManifest(
  config: BertConfig,
  seed: number,
): Omit<ModelManifest, 'sha256' | 'onnxBytes' | 'vocabBytes'> {
  return {
    ...config,
    seed,
    vocabSha256: VOCAB_SHA256,
    opset: OPSET,
    irVersion: IR_VERSION,
    generator: GENERATOR_NAME,
    generatorVersion: GENERATOR_VERSION,
    inputs: [...INPUT_NAMES],
    outputs: [OUTPUT_NAME],
    pooling: 'masked-mean',
    denseWeightLayout: '[in, out]',
  };
}

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch {
    return undefined;
  }
}

/** The cached manifest if it matches and the files it describes are complete, else undefined. */
async function reusable(files: Omit<ModelFiles, 'sha256'>): Promise<ModelManifest | undefined> {
  let manifest: ModelManifest;
  try {
    manifest = JSON.parse(await readFile(files.configJson, 'utf8')) as ModelManifest;
  } catch {
    return undefined;
  }
  const expected = expectedManifest(files.config, files.seed);
  for (const [k, v] of Object.entries(expected)) {
    if (JSON.stringify(manifest[k as keyof ModelManifest]) !== JSON.stringify(v)) return undefined;
  }
  if (typeof manifest.sha256 !== 'string') return undefined;
  // config.json is renamed into place last, so matching sizes mean the other renames completed.
  if ((await sizeOf(files.onnx)) !== manifest.onnxBytes) return undefined;
  if ((await sizeOf(files.vocab)) !== manifest.vocabBytes) return undefined;
  return manifest;
}

/** Write-then-rename in the same directory, so concurrent readers never see a partial file. */
async function writeAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const tmp = `${path}.${process.pid}.${randomUUID()}.tmp`;
  try {
    await writeFile(tmp, data);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/**
 * Ensures `<root>/<name>-s<seed>/{model.onnx,vocab.txt,config.json}` exist, forging them if
 * missing or stale. Safe to call from several processes at once: each writes identical bytes
 * through its own temp file and atomic renames, with config.json last.
 */
export async function ensureModel(
  name: ModelConfigName,
  opts: { seed?: number; root?: string } = {},
): Promise<ModelFiles> {
  if (!isModelConfigName(name)) {
    throw new Error(
      `MODEL_UNKNOWN_CONFIG: unknown model config "${String(name)}"; expected one of ${Object.keys(CONFIGS).join(', ')}`,
    );
  }
  const seed = opts.seed ?? 0;
  validateSeed(seed);
  const config = CONFIGS[name];
  const dir = join(resolve(opts.root ?? defaultModelsRoot()), `${name}-s${seed}`);
  const files = {
    dir,
    onnx: join(dir, 'model.onnx'),
    vocab: join(dir, 'vocab.txt'),
    configJson: join(dir, 'config.json'),
    config,
    seed,
  };

  const cached = await reusable(files);
  if (cached) return { ...files, sha256: cached.sha256 };

  await mkdir(dir, { recursive: true });
  const bytes = forgeOnnx(config, seed);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const vocab = Buffer.from(vocabText(), 'utf8');
  const manifest: ModelManifest = {
    ...expectedManifest(config, seed),
    sha256,
    onnxBytes: bytes.byteLength,
    vocabBytes: vocab.byteLength,
  };
  await writeAtomic(files.onnx, bytes);
  await writeAtomic(files.vocab, vocab);
  await writeAtomic(files.configJson, `${JSON.stringify(manifest, null, 2)}\n`);
  return { ...files, sha256 };
}
