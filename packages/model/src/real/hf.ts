// Reads what the project needs from a Hugging Face / sentence-transformers directory: the BERT
// config, the tokenizer settings and vocabulary, and the pooling head. Everything that is not
// supported fails here with a message saying what is.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BertConfig } from '../configs.js';
import { MEAN_POOLING, type Pooling } from '../graph.js';

export interface TokenizerSettings {
  lowercase: boolean;
  stripAccents: boolean;
  tokenizeChineseChars: boolean;
  /** Maximum ids per text, [CLS] and [SEP] included. */
  maxLength: number;
}

/** bert-base-uncased's settings: the generated models use these with maxLength 512. */
export const UNCASED: Omit<TokenizerSettings, 'maxLength'> = Object.freeze({
  lowercase: true,
  stripAccents: true,
  tokenizeChineseChars: true,
});

export const SUPPORTED =
  'supported: a Hugging Face directory with config.json model_type "bert" (BERT, MiniLM, bge, e5), model.safetensors (F32, F16 or BF16), ' +
  'a WordPiece tokenizer (tokenizer.json, or vocab.txt + tokenizer_config.json), and the sentence-transformers modules.json / 1_Pooling when present; ' +
  'or an ONNX export (model.onnx with inputs input_ids, attention_mask, token_type_ids and output last_hidden_state) with its tokenizer files beside it';

export function unsupported(file: string, what: string): Error {
  return new Error(`MODEL_UNSUPPORTED: ${file}: ${what}; ${SUPPORTED}`);
}

type Json = Record<string, unknown>;

export function readJson(path: string): Json {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`MODEL_MISSING_FILE: ${path}: ${(e as Error).message}`);
  }
  try {
    const v = JSON.parse(text) as unknown;
    if (v === null || typeof v !== 'object') throw new Error('not a JSON object or array');
    return v as Json;
  } catch (e) {
    throw new Error(`MODEL_BAD_FILE: ${path} is not valid JSON (${(e as Error).message}): truncated or corrupt?`);
  }
}

function optJson(path: string): Json | undefined {
  return existsSync(path) ? readJson(path) : undefined;
}

function posInt(file: string, cfg: Json, key: string, fallback?: number): number {
  const v = cfg[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) {
    throw new Error(`MODEL_BAD_CONFIG: ${file}: ${key} must be a positive integer, got ${JSON.stringify(cfg[key])}`);
  }
  return v;
}

/** The BERT shape from config.json; unsupported architectures fail with MODEL_UNSUPPORTED. */
export function readBertConfig(dir: string, name: string): BertConfig {
  const file = join(dir, 'config.json');
  const cfg = readJson(file);
  if (cfg.model_type !== 'bert') {
    throw unsupported(file, `model_type ${JSON.stringify(cfg.model_type)} is not supported`);
  }
  const act = cfg.hidden_act ?? 'gelu';
  if (act !== 'gelu')
    throw unsupported(file, `hidden_act ${JSON.stringify(act)} is not supported (only "gelu", erf form)`);
  const pos = cfg.position_embedding_type ?? 'absolute';
  if (pos !== 'absolute') throw unsupported(file, `position_embedding_type ${JSON.stringify(pos)} is not supported`);
  const eps = cfg.layer_norm_eps ?? 1e-12;
  if (typeof eps !== 'number' || !(eps > 0)) throw new Error(`MODEL_BAD_CONFIG: ${file}: layer_norm_eps must be > 0`);
  const c: BertConfig = {
    name,
    vocabSize: posInt(file, cfg, 'vocab_size'),
    hiddenSize: posInt(file, cfg, 'hidden_size'),
    numLayers: posInt(file, cfg, 'num_hidden_layers'),
    numHeads: posInt(file, cfg, 'num_attention_heads'),
    intermediateSize: posInt(file, cfg, 'intermediate_size'),
    maxPositions: posInt(file, cfg, 'max_position_embeddings'),
    typeVocabSize: posInt(file, cfg, 'type_vocab_size', 2),
    layerNormEps: eps,
  };
  if (c.hiddenSize % c.numHeads !== 0) {
    throw new Error(
      `MODEL_BAD_CONFIG: ${file}: hidden_size ${c.hiddenSize} is not divisible by num_attention_heads ${c.numHeads}`,
    );
  }
  return c;
}

/** sentence-transformers' pooling head; mean with no normalization when there is no modules.json. */
export function readPooling(dir: string): Pooling {
  const modulesFile = join(dir, 'modules.json');
  const modules = optJson(modulesFile);
  if (!modules) return MEAN_POOLING;
  if (!Array.isArray(modules)) throw new Error(`MODEL_BAD_FILE: ${modulesFile} is not a JSON array`);
  let mode: Pooling['mode'] | undefined;
  let normalize = false;
  for (const m of modules as Json[]) {
    const type = String(m.type ?? '');
    if (type.endsWith('.Transformer')) continue;
    if (type.endsWith('.Normalize')) {
      normalize = true;
      continue;
    }
    if (type.endsWith('.Pooling')) {
      const file = join(dir, String(m.path ?? ''), 'config.json');
      const p = readJson(file);
      const modes = [
        p.pooling_mode_mean_tokens === true ? 'mean' : undefined,
        p.pooling_mode_cls_token === true ? 'cls' : undefined,
        p.pooling_mode_max_tokens === true ? 'max' : undefined,
      ].filter((x): x is Pooling['mode'] => x !== undefined);
      const other = Object.entries(p).filter(
        ([k, v]) =>
          k.startsWith('pooling_mode_') &&
          v === true &&
          !['pooling_mode_mean_tokens', 'pooling_mode_cls_token', 'pooling_mode_max_tokens'].includes(k),
      );
      if (other.length > 0 || modes.length !== 1) {
        throw unsupported(
          file,
          `pooling ${JSON.stringify(p)} is not supported (exactly one of mean, cls or max tokens)`,
        );
      }
      mode = modes[0];
      continue;
    }
    throw unsupported(modulesFile, `sentence-transformers module ${JSON.stringify(type)} is not supported`);
  }
  return Object.freeze({ mode: mode ?? 'mean', normalize });
}

export interface TokenizerFiles {
  settings: TokenizerSettings;
  vocabText: string;
  /** The files the tokenizer was read from (hashed into the cache key). */
  files: string[];
}

function boolOr(v: unknown, fallback: boolean): boolean {
  return typeof v === 'boolean' ? v : fallback;
}

/** Vocabulary and settings of a WordPiece tokenizer; BPE, Unigram and others fail with MODEL_UNSUPPORTED_TOKENIZER. */
export function readTokenizer(dir: string, maxPositions: number): TokenizerFiles {
  const tjFile = join(dir, 'tokenizer.json');
  const tcFile = join(dir, 'tokenizer_config.json');
  const vocabFile = join(dir, 'vocab.txt');
  const stFile = join(dir, 'sentence_bert_config.json');
  const tc = optJson(tcFile) ?? {};
  const st = optJson(stFile);
  const files: string[] = [];
  let lowercase: boolean;
  let stripAccents: boolean;
  let chinese: boolean;
  let vocabText: string;
  if (existsSync(tjFile)) {
    const tj = readJson(tjFile);
    files.push(tjFile);
    const model = (tj.model ?? {}) as Json;
    if (model.type !== 'WordPiece') {
      throw new Error(
        `MODEL_UNSUPPORTED_TOKENIZER: ${tjFile}: tokenizer model ${JSON.stringify(model.type)} is not supported; ` +
          'only BERT WordPiece tokenizers (model.type "WordPiece", BertNormalizer, BertPreTokenizer) are supported, not BPE or Unigram',
      );
    }
    const norm = (tj.normalizer ?? null) as Json | null;
    if (norm !== null && norm.type !== 'BertNormalizer') {
      throw new Error(
        `MODEL_UNSUPPORTED_TOKENIZER: ${tjFile}: normalizer ${JSON.stringify(norm.type)} is not supported; only BertNormalizer`,
      );
    }
    lowercase = boolOr(norm?.lowercase, true);
    stripAccents = boolOr(norm?.strip_accents, lowercase);
    chinese = boolOr(norm?.handle_chinese_chars, true);
    const vocab = model.vocab as Record<string, number> | undefined;
    if (!vocab || typeof vocab !== 'object') throw new Error(`MODEL_BAD_FILE: ${tjFile}: model.vocab is missing`);
    const tokens: string[] = [];
    for (const [t, id] of Object.entries(vocab)) tokens[id] = t;
    if (tokens.length !== Object.keys(vocab).length || tokens.some((t) => t === undefined)) {
      throw new Error(`MODEL_BAD_FILE: ${tjFile}: model.vocab ids are not 0..${Object.keys(vocab).length - 1}`);
    }
    vocabText = `${tokens.join('\n')}\n`;
    // The byte-identical vocab.txt is preferred when it is there and agrees.
    if (existsSync(vocabFile)) {
      const txt = readFileSync(vocabFile, 'utf8');
      if (
        txt
          .split('\n')
          .filter((l, i, a) => i < a.length - 1 || l !== '')
          .join('\n') === tokens.join('\n')
      ) {
        vocabText = txt;
        files.push(vocabFile);
      }
    }
  } else if (existsSync(vocabFile)) {
    files.push(vocabFile);
    const cls = tc.tokenizer_class;
    if (cls !== undefined && cls !== 'BertTokenizer' && cls !== 'BertTokenizerFast') {
      throw new Error(
        `MODEL_UNSUPPORTED_TOKENIZER: ${tcFile}: tokenizer_class ${JSON.stringify(cls)} is not supported; only BertTokenizer (WordPiece)`,
      );
    }
    lowercase = boolOr(tc.do_lower_case, true);
    stripAccents = boolOr(tc.strip_accents, lowercase);
    chinese = boolOr(tc.tokenize_chinese_chars, true);
    vocabText = readFileSync(vocabFile, 'utf8');
  } else {
    throw new Error(
      `MODEL_MISSING_FILE: ${dir} has neither tokenizer.json nor vocab.txt; a WordPiece tokenizer is required (tokenizer.json, or vocab.txt + tokenizer_config.json)`,
    );
  }
  if (existsSync(tcFile)) files.push(tcFile);
  if (st) files.push(stFile);
  // Max length: sentence-transformers' max_seq_length, else the tokenizer's model_max_length (HF
  // writes a huge sentinel when unset), never above the position table.
  const stMax = st?.max_seq_length;
  const tcMax = tc.model_max_length;
  let maxLength = maxPositions;
  if (typeof stMax === 'number' && Number.isSafeInteger(stMax) && stMax >= 2) maxLength = Math.min(stMax, maxPositions);
  else if (typeof tcMax === 'number' && Number.isSafeInteger(tcMax) && tcMax >= 2)
    maxLength = Math.min(tcMax, maxPositions);
  return {
    settings: Object.freeze({ lowercase, stripAccents, tokenizeChineseChars: chinese, maxLength }),
    vocabText,
    files,
  };
}
