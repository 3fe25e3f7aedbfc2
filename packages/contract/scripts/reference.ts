// The Hugging Face `tokenizers` reference (Rust core, Node bindings), configured exactly like
// bert-base-uncased's tokenizer.json. Shared by gen-fixtures.ts, gen-unicode-tables.ts and
// src/fixtures.test.ts (which loads this file at run time, so it stays out of the tsc program).
//
// tokenizers@0.13.3's napi build wants the platform package tokenizers-linux-x64-gnu@0.13.3, which
// was never published (huggingface/tokenizers#1365); the contract package therefore lists the only
// published x64 glibc binding, 0.13.4-rc2 (same Rust core), as an optional dependency.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as Tok from 'tokenizers';
import { VOCAB_SHA256, vocabText } from '../../model/src/vocab.js';

export type TokenizersModule = typeof Tok;

const require = createRequire(import.meta.url);

function bindingName(): string {
  const name = `tokenizers-${process.platform}-${process.arch}-gnu`;
  try {
    return `${name}@${(require(`${name}/package.json`) as { version: string }).version}`;
  } catch {
    return name;
  }
}

export interface LoadedReference {
  tokenizers: TokenizersModule;
  /** Human-readable description of what was loaded, for the fixture's `generator` field. */
  description: string;
}

let loaded: LoadedReference | null | undefined;

/** Loads the reference bindings, or returns null (with the reasons in `referenceLoadErrors`). */
export function loadReference(): LoadedReference | null {
  if (loaded !== undefined) return loaded;
  const errors: string[] = [];
  const pkg = require('tokenizers/package.json') as { version: string };
  try {
    loaded = {
      tokenizers: require('tokenizers') as TokenizersModule,
      description: `tokenizers@${pkg.version} (Hugging Face, Rust; native binding ${bindingName()})`,
    };
    return loaded;
  } catch (e) {
    errors.push(`require('tokenizers'): ${(e as Error).message.split('\n')[0]}`);
  }
  referenceLoadErrors = errors;
  loaded = null;
  return loaded;
}

export let referenceLoadErrors: string[] = [];

export function requireReference(): LoadedReference {
  const ref = loadReference();
  if (!ref) {
    throw new Error(
      `Cannot load the Hugging Face tokenizers native binding:\n  ${referenceLoadErrors.join('\n  ')}\n` +
        'Run npm ci at the repo root (it installs tokenizers-linux-x64-gnu on linux-x64).',
    );
  }
  return ref;
}

export const MAX_LENGTH = 512;

/** Parses vocab.txt the way WordPiece::read_file does: one token per line, id = line index. */
export function vocabMap(text: string): Record<string, number> {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const vocab: Record<string, number> = Object.create(null) as Record<string, number>;
  lines.forEach((line, i) => {
    vocab[line.trimEnd()] = i;
  });
  return vocab;
}

export function vocabSha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

const special = (id: number, content: string) => ({
  id,
  content,
  single_word: false,
  lstrip: false,
  rstrip: false,
  normalized: false,
  special: true,
});

/** bert-base-uncased's tokenizer.json, with truncation to `maxLength` switched on. */
export function bertBaseUncasedTokenizerJson(text: string, maxLength = MAX_LENGTH): string {
  const vocab = vocabMap(text);
  const id = (t: string): number => {
    const v = vocab[t];
    if (v === undefined) throw new Error(`vocab lacks ${t}`);
    return v;
  };
  const doc = {
    version: '1.0',
    truncation: { direction: 'Right', max_length: maxLength, strategy: 'LongestFirst', stride: 0 },
    padding: null,
    added_tokens: ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'].map((t) => special(id(t), t)),
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: null,
      lowercase: true,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
      ],
      pair: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: {
        '[CLS]': { id: '[CLS]', ids: [id('[CLS]')], tokens: ['[CLS]'] },
        '[SEP]': { id: '[SEP]', ids: [id('[SEP]')], tokens: ['[SEP]'] },
      },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab,
    },
  };
  return JSON.stringify(doc);
}

export interface ReferenceTokenizer {
  description: string;
  vocabSha256: string;
  tokenizers: TokenizersModule;
  tokenizer: Tok.Tokenizer;
  /** input_ids of `text` with [CLS]/[SEP] and truncation, as bert-base-uncased produces them. */
  encode(text: string): Promise<number[]>;
  /** Writes the tokenizer.json to `path` (for the Rust cross-check). */
  writeJson(path: string): void;
}

/** Builds the reference tokenizer from the real vocab (written to a temp dir, loaded with fromFile). */
export function createReferenceTokenizer(maxLength = MAX_LENGTH): ReferenceTokenizer {
  const { tokenizers, description } = requireReference();
  const text = vocabText();
  const sha = vocabSha256(text);
  if (sha !== VOCAB_SHA256) throw new Error(`vocab sha256 ${sha} != ${VOCAB_SHA256}`);
  const json = bertBaseUncasedTokenizerJson(text, maxLength);
  const dir = mkdtempSync(join(tmpdir(), 'servebench-tokenizer-'));
  const file = join(dir, 'tokenizer.json');
  writeFileSync(file, json);
  const tokenizer = tokenizers.Tokenizer.fromFile(file);
  rmSync(dir, { recursive: true, force: true });
  return {
    description,
    vocabSha256: sha,
    tokenizers,
    tokenizer,
    async encode(input: string): Promise<number[]> {
      const enc = await tokenizer.encode(input, null, { addSpecialTokens: true });
      return enc.getIds();
    },
    writeJson(path: string): void {
      writeFileSync(path, json);
    },
  };
}
