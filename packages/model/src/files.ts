import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONFIGS, isModelConfigName, validateSeed, type BertConfig, type ModelConfigName } from './configs.js';
import { forgeOnnx, GENERATOR_NAME, GENERATOR_VERSION } from './forge.js';
import { INPUT_NAMES, IR_VERSION, MEAN_POOLING, OPSET, OUTPUT_NAME, type Pooling } from './graph.js';
import { UNCASED, type TokenizerSettings } from './real/hf.js';
import { resolveRealModel, type ModelSource } from './real/resolve.js';
import { VOCAB_SHA256, vocabText } from './vocab.js';

export interface ModelFiles {
  dir: string;
  onnx: string;
  vocab: string;
  configJson: string;
  config: BertConfig;
  seed: number;
  sha256: string;
  /** How the checkpoint's tokenizer normalizes, and its max length ([CLS] and [SEP] included). */
  tokenizer: TokenizerSettings;
  /** The pooling head inside the graph (generated models: mean, no normalization). */
  pooling: Pooling;
  /** Where a converted model came from; undefined for the generated configs. */
  source?: ModelSource;
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

async function sha256Of(path: string): Promise<string | undefined> {
  try {
    return createHash('sha256')
      .update(await readFile(path))
      .digest('hex');
  } catch {
    return undefined;
  }
}

type Files = Omit<ModelFiles, 'sha256' | 'tokenizer' | 'pooling'>;

/**
 * The cached manifest if it matches and the files it describes have its sha256, else undefined.
 * A model.onnx that is not the forge's own (another sha256 than any manifest of ours records) is
 * never overwritten: that is an error naming the file.
 */
async function reusable(files: Files): Promise<ModelManifest | undefined> {
  let manifest: ModelManifest | undefined;
  try {
    manifest = JSON.parse(await readFile(files.configJson, 'utf8')) as ModelManifest;
  } catch {
    manifest = undefined;
  }
  const onnxSha = await sha256Of(files.onnx);
  const ours = manifest?.generator === GENERATOR_NAME && manifest.sha256 === onnxSha;
  if (onnxSha !== undefined && !ours) {
    // Not written by this forge (or written and then changed): the same bytes forged now are fine.
    const forged = createHash('sha256').update(forgeOnnx(files.config, files.seed)).digest('hex');
    if (forged !== onnxSha) {
      throw new Error(
        `MODEL_FOREIGN_FILE: ${files.onnx} (sha256 ${onnxSha}) is not the model ${files.config.name} seed ${files.seed} the forge writes there${
          manifest?.sha256 ? ` (${files.configJson} records ${manifest.sha256}): truncated or modified` : ''
        }; it is never overwritten: move it away, or point MODEL at it as an ONNX export`,
      );
    }
    return undefined;
  }
  if (!manifest || onnxSha === undefined) return undefined;
  const expected = expectedManifest(files.config, files.seed);
  for (const [k, v] of Object.entries(expected)) {
    if (JSON.stringify(manifest[k as keyof ModelManifest]) !== JSON.stringify(v)) return undefined;
  }
  if ((await sha256Of(files.vocab)) !== manifest.vocabSha256) return undefined;
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
 * missing or stale. Any other MODEL value (a named real model, a Hugging Face directory or an ONNX
 * export) is converted once and cached under `<root>/converted/` (see real/resolve.ts). Safe to call from several processes at once: each writes identical bytes
 * through its own temp file and atomic renames, with config.json last.
 */
export async function ensureModel(
  name: ModelConfigName | string,
  opts: { seed?: number; root?: string } = {},
): Promise<ModelFiles> {
  if (!isModelConfigName(name)) return resolveRealModel(name, resolve(opts.root ?? defaultModelsRoot()));
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

  const extra = { tokenizer: { ...UNCASED, maxLength: config.maxPositions }, pooling: MEAN_POOLING };
  const cached = await reusable(files);
  if (cached) return { ...files, ...extra, sha256: cached.sha256 };

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
  return { ...files, ...extra, sha256 };
}
