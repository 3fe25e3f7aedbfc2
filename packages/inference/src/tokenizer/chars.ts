// Per-code-point flags for the BERT normalizer and pre-tokenizer, built once from the tables that
// were measured on the Hugging Face reference (see unicode-tables.ts). One byte per code point:
// a lookup is a single typed-array read, no regex.
import {
  CJK_RANGES,
  LOWERCASE_PATCH,
  MN_RANGES,
  NFD_OPAQUE_RANGES,
  PRE_WHITESPACE_RANGES,
  PUNCT_RANGES,
  REMOVE_RANGES,
  WHITESPACE_RANGES,
} from './unicode-tables.js';

/** clean_text deletes it (NUL, U+FFFD, Cc/Cf/Co except \t\n\r; also lone surrogates, see below). */
export const F_REMOVE = 1;
/** clean_text maps it to U+0020; the pre-tokenizer splits on it. */
export const F_WS = 2;
/** handle_chinese_chars surrounds it with spaces. */
export const F_CJK = 4;
/** strip_accents drops it after NFD (Unicode 9 Mn). */
export const F_MN = 8;
/** The pre-tokenizer isolates it as a one-character word. */
export const F_PUNCT = 16;
/** The reference NFD neither decomposes nor reorders it, but JS String#normalize would. */
export const F_NFD_OPAQUE = 32;
/** Rust char::to_lowercase differs from JS String#toLowerCase for it. */
export const F_LOWER_PATCH = 64;
/** The pre-tokenizer splits on it (Rust char::is_whitespace: F_WS plus U+000B, U+000C, U+0085, which clean_text deletes first). */
export const F_SPLIT = 128;

export const FLAGS = new Uint8Array(0x110000);

function mark(ranges: readonly number[], flag: number): void {
  for (let i = 0; i + 1 < ranges.length; i += 2) {
    const start = ranges[i]!;
    const end = ranges[i + 1]!;
    for (let cp = start; cp <= end; cp++) FLAGS[cp] = FLAGS[cp]! | flag;
  }
}
mark(REMOVE_RANGES, F_REMOVE);
mark(WHITESPACE_RANGES, F_WS);
mark(CJK_RANGES, F_CJK);
mark(MN_RANGES, F_MN);
mark(PUNCT_RANGES, F_PUNCT);
mark(PRE_WHITESPACE_RANGES, F_SPLIT);
mark(NFD_OPAQUE_RANGES, F_NFD_OPAQUE);
// A lone surrogate cannot reach Rust: the Node binding converts the JS string to UTF-8, which turns
// it into U+FFFD, and clean_text deletes U+FFFD. A well-formed pair is decoded before any lookup.
for (let cu = 0xd800; cu <= 0xdfff; cu++) FLAGS[cu] = FLAGS[cu]! | F_REMOVE;

export const LOWER_PATCH = new Map<number, string>(LOWERCASE_PATCH);
for (const [cp] of LOWERCASE_PATCH) FLAGS[cp] = FLAGS[cp]! | F_LOWER_PATCH;
/** Smallest code unit that can start a LOWER_PATCH character (skip the check below it). */
export const LOWER_PATCH_MIN = Math.min(0xd800, ...LOWERCASE_PATCH.map(([cp]) => cp));

/** Character classes of the ASCII fast path. */
export const A_WORD = 0;
export const A_UPPER = 1;
export const A_WS = 2;
export const A_PUNCT = 3;
export const A_REMOVE = 4;

/** ASCII class per char code 0..127, derived from FLAGS so both paths agree by construction. */
export const ASCII_CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const f = FLAGS[c]!;
  ASCII_CLASS[c] =
    f & F_REMOVE ? A_REMOVE : f & F_WS ? A_WS : f & F_PUNCT ? A_PUNCT : c >= 65 && c <= 90 ? A_UPPER : A_WORD;
}
