// Exact BERT (bert-base-uncased) WordPiece tokenizer: the same input_ids as Hugging Face
// `tokenizers` with BertNormalizer, BertPreTokenizer, WordPiece, the [CLS] $A [SEP] template, the
// special tokens split out of the raw text, and truncation to maxLength.
import { A_PUNCT, A_REMOVE, A_UPPER, A_WORD, A_WS, ASCII_CLASS } from './chars.js';
import { cleanText, lowercase, normalize, stripAccents } from './normalize.js';
import { pretokenize } from './pretokenize.js';
import { WordPiece } from './wordpiece.js';

export { normalize } from './normalize.js';
export { pretokenize } from './pretokenize.js';
export { WordPiece } from './wordpiece.js';

export interface TokenizerOptions {
  /** Maximum number of ids, [CLS] and [SEP] included. */
  maxLength: number;
  /** Word -> ids cache entries (default 50,000; 0 disables). */
  cacheSize?: number;
  /** Characters the cached words may hold in total (default 1,000,000). */
  cacheChars?: number;
  /** BertNormalizer settings from the checkpoint (default: bert-base-uncased's, all true). */
  lowercase?: boolean;
  /** Defaults to `lowercase`, as BertNormalizer's strip_accents: null. */
  stripAccents?: boolean;
  /** Only true is supported (the normalizer always spaces out CJK ideographs). */
  tokenizeChineseChars?: boolean;
}

/** Special tokens of bert-base-uncased, matched verbatim (case-sensitive) in the raw text. */
export const SPECIAL_TOKENS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const;

/** Parses vocab.txt like WordPiece::read_file: one token per line (trailing whitespace trimmed), id = line number. */
export function parseVocab(text: string): Map<string, number> {
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const vocab = new Map<string, number>();
  lines.forEach((line, i) => vocab.set(line.trimEnd(), i));
  return vocab;
}

export class WordPieceTokenizer {
  readonly vocabSize: number;
  readonly maxLength: number;
  readonly clsId: number;
  readonly sepId: number;
  readonly padId: number;
  readonly unkId: number;
  readonly maskId: number;
  private readonly model: WordPiece;
  private readonly vocab: ReadonlyMap<string, number>;
  /** id of each special token, parallel to SPECIAL_TOKENS */
  private readonly specialIds: readonly number[];
  /** id of each ASCII punctuation character as a word, -1 where it is not in the vocabulary */
  private readonly asciiPunctIds: Int32Array;
  private readonly words: string[] = [];
  readonly lowercase: boolean;
  readonly stripAccents: boolean;

  private constructor(vocab: Map<string, number>, opts: TokenizerOptions) {
    if (!Number.isInteger(opts.maxLength) || opts.maxLength < 2) {
      throw new RangeError(`maxLength must be an integer >= 2 (room for [CLS] and [SEP]), got ${opts.maxLength}`);
    }
    const id = (t: string): number => {
      const v = vocab.get(t);
      if (v === undefined) throw new Error(`vocabulary has no ${t}`);
      return v;
    };
    if (opts.tokenizeChineseChars === false) {
      throw new RangeError(
        'tokenize_chinese_chars=false is not supported: the tokenizer always splits CJK ideographs (BertNormalizer handle_chinese_chars=true)',
      );
    }
    this.lowercase = opts.lowercase ?? true;
    this.stripAccents = opts.stripAccents ?? this.lowercase;
    this.vocab = vocab;
    this.vocabSize = vocab.size;
    this.maxLength = opts.maxLength;
    this.clsId = id('[CLS]');
    this.sepId = id('[SEP]');
    this.padId = id('[PAD]');
    this.unkId = id('[UNK]');
    this.maskId = id('[MASK]');
    this.specialIds = SPECIAL_TOKENS.map(id);
    this.model = new WordPiece(vocab, {
      unkId: this.unkId,
      maxInputCharsPerWord: 100,
      continuingSubwordPrefix: '##',
      ...(opts.cacheSize !== undefined ? { cacheSize: opts.cacheSize } : {}),
      ...(opts.cacheChars !== undefined ? { cacheChars: opts.cacheChars } : {}),
    });
    this.asciiPunctIds = new Int32Array(128).fill(-1);
    for (let c = 0; c < 128; c++) {
      if (ASCII_CLASS[c] === A_PUNCT) this.asciiPunctIds[c] = this.model.ids(String.fromCharCode(c))[0] ?? -1;
    }
    this.model.clearCache();
  }

  /** Builds the tokenizer from the text of a vocab.txt (one token per line). */
  static fromVocabText(text: string, opts: TokenizerOptions): WordPieceTokenizer {
    return new WordPieceTokenizer(parseVocab(text), opts);
  }

  /** Token string -> id, or undefined. */
  tokenToId(token: string): number | undefined {
    return this.vocab.get(token);
  }

  /** Words currently held by the word -> ids cache. */
  get cachedWords(): number {
    return this.model.cachedWords;
  }

  /** Characters held by the word -> ids cache. */
  get cachedChars(): number {
    return this.model.cachedChars;
  }

  clearCache(): void {
    this.model.clearCache();
  }

  /** input_ids: [CLS] tokens… [SEP], truncated to maxLength with [SEP] kept last. */
  encode(text: string): number[] {
    const out: number[] = [this.clsId];
    // Content may fill out[1 .. maxLength-2]; [SEP] goes after it.
    const limit = this.maxLength - 1;
    const n = text.length;
    let pos = 0;
    let bracket = text.indexOf('[');
    while (bracket !== -1 && out.length < limit) {
      const k = this.specialAt(text, bracket);
      if (k < 0) {
        bracket = text.indexOf('[', bracket + 1);
        continue;
      }
      this.encodeSegment(text, pos, bracket, out, limit);
      if (out.length < limit) out.push(this.specialIds[k]!);
      pos = bracket + SPECIAL_TOKENS[k]!.length;
      bracket = text.indexOf('[', pos);
    }
    if (pos < n) this.encodeSegment(text, pos, n, out, limit);
    if (out.length > limit) out.length = limit;
    out.push(this.sepId);
    return out;
  }

  /** Index into SPECIAL_TOKENS of the token starting at `i`, or -1. */
  private specialAt(text: string, i: number): number {
    for (let k = 0; k < SPECIAL_TOKENS.length; k++) {
      if (text.startsWith(SPECIAL_TOKENS[k]!, i)) return k;
    }
    return -1;
  }

  /** Encodes text[start, end) (no special tokens inside) and appends its ids, stopping at `limit`. */
  private encodeSegment(text: string, start: number, end: number, out: number[], limit: number): void {
    if (start >= end || out.length >= limit) return;
    let ascii = true;
    for (let i = start; i < end; i++) {
      if (text.charCodeAt(i) >= 0x80) {
        ascii = false;
        break;
      }
    }
    if (ascii) {
      this.encodeAscii(text, start, end, out, limit);
      return;
    }
    const words = this.words;
    words.length = 0;
    const segment = start === 0 && end === text.length ? text : text.slice(start, end);
    pretokenize(this.lowercase && this.stripAccents ? normalize(segment) : this.normalizeCased(segment), words);
    for (let w = 0; w < words.length && out.length < limit; w++) {
      const ids = this.model.ids(words[w]!);
      for (let j = 0; j < ids.length; j++) out.push(ids[j]!);
    }
  }

  /** BertNormalizer with lowercase and/or strip_accents off (a cased checkpoint). */
  private normalizeCased(s: string): string {
    let out = cleanText(s);
    if (this.stripAccents) out = stripAccents(out);
    if (this.lowercase) out = lowercase(out);
    return out;
  }

  /**
   * Fast path for pure-ASCII text, fusing the normalizer and the pre-tokenizer: ASCII never
   * decomposes or carries marks, so normalizing is deleting control characters, mapping
   * \t \n \r to spaces and lowercasing A-Z.
   */
  private encodeAscii(text: string, start: number, end: number, out: number[], limit: number): void {
    let wordStart = -1;
    let upper = false;
    let dirty = false; // the word contains a deleted control character
    for (let i = start; i <= end; i++) {
      const cls = i < end ? ASCII_CLASS[text.charCodeAt(i)]! : A_WS;
      if (cls === A_WORD || cls === A_UPPER) {
        if (wordStart < 0) {
          wordStart = i;
          upper = false;
          dirty = false;
        }
        if (cls === A_UPPER) upper = true;
        continue;
      }
      if (cls === A_REMOVE) {
        if (wordStart >= 0) dirty = true;
        continue;
      }
      if (wordStart >= 0) {
        let word = text.slice(wordStart, i);
        if (dirty) word = stripAsciiControls(word);
        if (upper && this.lowercase) word = word.toLowerCase();
        const ids = this.model.ids(word);
        for (let j = 0; j < ids.length; j++) out.push(ids[j]!);
        wordStart = -1;
        if (out.length >= limit) return;
      }
      if (cls === A_PUNCT) {
        const c = text.charCodeAt(i);
        const pid = this.asciiPunctIds[c]!;
        if (pid >= 0) out.push(pid);
        else out.push(...this.model.ids(String.fromCharCode(c)));
        if (out.length >= limit) return;
      }
    }
  }
}

function stripAsciiControls(word: string): string {
  let s = '';
  for (let i = 0; i < word.length; i++) {
    const c = word.charCodeAt(i);
    if (ASCII_CLASS[c] !== A_REMOVE) s += word[i];
  }
  return s;
}
