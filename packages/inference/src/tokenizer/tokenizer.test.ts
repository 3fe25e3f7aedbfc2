import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mulberry32Unit as mulberry32, vocabText } from '@servebench/model';
import { describe, expect, it } from 'vitest';
import { WordPiece, WordPieceTokenizer, normalize, pretokenize } from './index.js';
import { NFD_OPAQUE_RANGES } from './unicode-tables.js';
import { charCount } from './wordpiece.js';

interface TokenizeFixtures {
  generator: string;
  vocabSha256: string;
  maxLength: number;
  cases: Array<{ name: string; text: string; input_ids: number[] }>;
}

const fixtures = JSON.parse(
  readFileSync(new URL('../../../contract/fixtures/tokenize.json', import.meta.url), 'utf8'),
) as TokenizeFixtures;
const vocab = vocabText();
const tok = WordPieceTokenizer.fromVocabText(vocab, { maxLength: fixtures.maxLength });
const id = (t: string): number => {
  const v = tok.tokenToId(t);
  if (v === undefined) throw new Error(`no ${t}`);
  return v;
};
const words = (s: string): string[] => {
  const out: string[] = [];
  pretokenize(normalize(s), out);
  return out;
};

describe('golden fixtures (Hugging Face tokenizers, Rust)', () => {
  it('were generated with this vocabulary', () => {
    expect(createHash('sha256').update(vocab).digest('hex')).toBe(fixtures.vocabSha256);
    expect(fixtures.cases.length).toBeGreaterThanOrEqual(80);
  });

  it('matches the reference input_ids on every case', () => {
    const mismatches: string[] = [];
    for (const c of fixtures.cases) {
      const got = tok.encode(c.text);
      if (got.length !== c.input_ids.length || got.some((v, i) => v !== c.input_ids[i])) {
        const at = got.findIndex((v, i) => v !== c.input_ids[i]);
        mismatches.push(
          `${c.name}: first difference at ${at}\n  got  ${JSON.stringify(got)}\n  want ${JSON.stringify(c.input_ids)}`,
        );
      }
    }
    expect(mismatches, `${mismatches.length} of ${fixtures.cases.length} cases differ`).toEqual([]);
  });

  it('matches with a cold and a warm word cache alike', () => {
    const uncached = WordPieceTokenizer.fromVocabText(vocab, { maxLength: fixtures.maxLength, cacheSize: 0 });
    for (const c of fixtures.cases) {
      expect(uncached.encode(c.text), c.name).toEqual(c.input_ids);
      expect(tok.encode(c.text), c.name).toEqual(c.input_ids);
    }
    expect(uncached.cachedWords).toBe(0);
  });
});

describe('WordPieceTokenizer', () => {
  it('exposes the bert-base-uncased special ids', () => {
    expect(tok.vocabSize).toBe(30522);
    expect(tok.maxLength).toBe(512);
    expect([tok.padId, tok.unkId, tok.clsId, tok.sepId, tok.maskId]).toEqual([0, 100, 101, 102, 103]);
  });

  it('wraps the text in [CLS] … [SEP]', () => {
    expect(tok.encode('')).toEqual([101, 102]);
    expect(tok.encode(' \t\n ')).toEqual([101, 102]);
    expect(tok.encode('hello world')).toEqual([101, id('hello'), id('world'), 102]);
  });

  it('lowercases per character: word-final Σ becomes σ, not ς (no Final_Sigma rule)', () => {
    // The trap: JS applies Final_Sigma when lowercasing a whole string, Rust's char::to_lowercase does not.
    expect('ΟΔΟΣ'.toLowerCase()).toBe('οδος');
    expect(normalize('ΟΔΟΣ')).toBe('οδοσ');
    expect(normalize('ΣΟΦΟΣ ΣΣ Σ.')).toBe('σοφοσ σσ σ.');
    expect(tok.encode('ΟΔΟΣ')).toEqual(tok.encode('οδοσ'));
    expect(tok.encode('ΟΔΟΣ')).not.toEqual(tok.encode('οδος'));
  });

  it('strips accents after NFD, for composed and decomposed input alike', () => {
    expect(normalize('Café Ångström NAÏVE')).toBe('cafe angstrom naive');
    expect(normalize('Cafe\u0301')).toBe('cafe');
    expect(normalize('İstanbul')).toBe('istanbul');
    expect(normalize('Straße ẞ')).toBe('straße ß');
    expect(tok.encode('résumé')).toEqual(tok.encode('re\u0301sume\u0301'));
  });

  it('cleans control characters and maps whitespace', () => {
    expect(normalize('a\u0000b\u0007c\u007fd\u200be\u00adf\ufeffg\ufffdh')).toBe('abcdefgh');
    expect(normalize('a\tb\nc\rd\u00a0e\u3000f\u2028g')).toBe('a b c d e f g');
    // U+000B, U+000C and U+0085 are Cc: deleted, not turned into spaces
    expect(normalize('a\u000bb\u000cc\u0085d')).toBe('abcd');
    expect(tok.encode('to\u0000ken')).toEqual(tok.encode('token'));
    // a lone surrogate reaches Rust as U+FFFD, which clean_text deletes
    expect(tok.encode('to\ud800ken')).toEqual(tok.encode('token'));
  });

  it('isolates CJK ideographs and punctuation', () => {
    expect(normalize('我爱NLP')).toBe(' 我  爱 nlp');
    expect(words('我爱NLP!')).toEqual(['我', '爱', 'nlp', '!']);
    expect(words('a$b+c<d=e>f^g`h|i~j')).toEqual('a $ b + c < d = e > f ^ g ` h | i ~ j'.split(' '));
    expect(words('“quoted” — ¿sí?')).toEqual(['“', 'quoted', '”', '—', '¿', 'si', '?']);
  });

  it('follows the reference Unicode 9 tables, not the JS engine’s newer Unicode', () => {
    // U+0897 ARABIC PEPET is Mn since Unicode 14: JS would strip it, the reference keeps it
    expect(normalize('a\u0897')).toBe('a\u0897');
    // U+061D ARABIC END OF TEXT MARK is Po since Unicode 14: not punctuation for the reference
    expect(words('a\u061db')).toEqual(['a\u061db']);
    // U+0890 ARABIC POUND MARK ABOVE is Cf since Unicode 14: the reference keeps it
    expect(normalize('a\u0890b')).toBe('a\u0890b');
    // U+166D CANADIAN SYLLABICS CHI SIGN was Po in Unicode 9 (So today): still punctuation
    expect(words('a\u166db')).toEqual(['a', '\u166d', 'b']);
    // U+1734 HANUNOO SIGN PAMUDPOD was Mn in Unicode 9 (Mc today): still stripped
    expect(normalize('a\u1734')).toBe('a');
    // characters JS's NFD would reorder or decompose but Unicode 9 NFD leaves alone
    const opaque = String.fromCodePoint(NFD_OPAQUE_RANGES[0]!);
    expect(normalize(`a${opaque}\u0301`)).toBe(`a${opaque}`);
  });

  it('splits [MASK] and the other special tokens out of the raw text', () => {
    expect(tok.encode('[MASK]')).toEqual([101, 103, 102]);
    expect(tok.encode('Paris is the [MASK] of France.')).toContain(103);
    expect(tok.encode('a[MASK]b')).toEqual([101, id('a'), 103, id('b'), 102]);
    expect(tok.encode('[CLS][SEP][PAD][UNK][MASK]')).toEqual([101, 101, 102, 0, 100, 103, 102]);
    // matching is case-sensitive and happens before lowercasing
    expect(tok.encode('[mask]')).toEqual([101, id('['), id('mask'), id(']'), 102]);
    expect(tok.encode('[MASK')).toEqual([101, id('['), id('mask'), 102]);
    // text next to a special token is still normalized
    expect(tok.encode('[MASK]ΟΔΟΣ')).toEqual([101, 103, ...tok.encode('οδοσ').slice(1, -1), 102]);
  });

  it('turns a word over 100 characters into a single [UNK]', () => {
    const w100 = 'ab'.repeat(50);
    expect(tok.encode(w100)).not.toContain(100);
    expect(tok.encode(`${w100}a`)).toEqual([101, 100, 102]);
    expect(tok.encode(`x ${'a'.repeat(101)} y`)).toEqual([101, id('x'), 100, id('y'), 102]);
    // the limit applies after normalization: 100 × "é" (NFD: 200 code units before stripping) is fine
    expect(tok.encode('e\u0301'.repeat(100))).toEqual(tok.encode('e'.repeat(100)));
    // a word with no full cover is [UNK] as a whole
    expect(tok.encode('😀abc')).toEqual([101, 100, 102]);
  });

  it('counts the 100-character limit in Unicode scalar values, not UTF-16 code units', () => {
    expect(charCount('😀😀a')).toBe(3);
    const wp = new WordPiece(
      new Map([
        ['[UNK]', 0],
        ['😀', 1],
        ['##😀', 2],
      ]),
      { unkId: 0 },
    );
    expect(wp.tokenize('😀'.repeat(60))).toEqual([1, ...Array<number>(59).fill(2)]); // 120 code units, 60 chars
    expect(wp.tokenize('😀'.repeat(100))).toHaveLength(100);
    expect(wp.tokenize('😀'.repeat(101))).toEqual([0]);
  });

  it('truncates to maxLength keeping [SEP] last', () => {
    const long = 'the quick brown fox jumps over the lazy dog '.repeat(100);
    const ids = tok.encode(long);
    expect(ids).toHaveLength(512);
    expect(ids[0]).toBe(101);
    expect(ids[511]).toBe(102);
    const small = WordPieceTokenizer.fromVocabText(vocab, { maxLength: 5 });
    expect(small.encode('a b c d e')).toEqual([101, id('a'), id('b'), id('c'), 102]);
    // truncation can cut a word between its pieces
    const pieces = tok.encode('unaffordable').slice(1, -1);
    expect(pieces.length).toBeGreaterThan(2);
    expect(small.encode('x unaffordable')).toEqual([101, id('x'), pieces[0], pieces[1], 102]);
    expect(small.encode('[MASK] [MASK] [MASK] [MASK]')).toEqual([101, 103, 103, 103, 102]);
    expect(WordPieceTokenizer.fromVocabText(vocab, { maxLength: 2 }).encode('hello')).toEqual([101, 102]);
    expect(() => WordPieceTokenizer.fromVocabText(vocab, { maxLength: 1 })).toThrow(RangeError);
  });

  it('keeps its word cache bounded', () => {
    const t = WordPieceTokenizer.fromVocabText(vocab, { maxLength: 512, cacheSize: 10 });
    const text = Array.from({ length: 100 }, (_, i) => `word${i}`).join(' ');
    const first = t.encode(text);
    expect(t.cachedWords).toBeLessThanOrEqual(10);
    expect(t.encode(text)).toEqual(first);
    expect(WordPieceTokenizer.fromVocabText(vocab, { maxLength: 512, cacheSize: 0 }).encode(text)).toEqual(first);
  });

  it('never caches a word that can only become [UNK], and bounds the cache by characters', () => {
    const t = WordPieceTokenizer.fromVocabText(vocab, { maxLength: 512, cacheChars: 2_000 });
    const rnd = mulberry32(4);
    const unique = () => Array.from({ length: 60 }, () => String.fromCharCode(97 + Math.floor(rnd() * 26))).join('');
    // Unique 20,000-character words: each is one [UNK] and none may stay in memory.
    for (let i = 0; i < 20; i++) expect(t.encode(unique().repeat(334))).toEqual([101, tok.unkId, 102]);
    expect(t.cachedWords).toBe(0);
    // Unique words under the 100-character limit are cached, within the character bound.
    for (let i = 0; i < 200; i++) t.encode(`${unique()} ${unique()}`);
    expect(t.cachedWords).toBeGreaterThan(0);
    expect(t.cachedChars).toBeLessThanOrEqual(2_000);
    const again = `${unique()} tokenization`;
    expect(t.encode(again)).toEqual(
      WordPieceTokenizer.fromVocabText(vocab, { maxLength: 512, cacheSize: 0 }).encode(again),
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Cross-check against the reference itself, when its native binding can be loaded (see
// packages/contract/scripts/reference.ts and the optional tokenizers-linux-x64-gnu dependency). The module is loaded at
// run time so it stays outside this package's tsc program.
interface ReferenceModule {
  loadReference(): { tokenizers: ReferenceBindings; description: string } | null;
  referenceLoadErrors: string[];
  createReferenceTokenizer(maxLength?: number): { encode(text: string): Promise<number[]> };
}
interface ReferenceBindings {
  bertNormalizer(opts?: object): { normalizeString(s: string): string };
  bertPreTokenizer(): { preTokenizeString(s: string): Array<[string, [number, number]]> };
}
const referenceUrl = new URL('../../../contract/scripts/reference.ts', import.meta.url).href;
const refModule = (await import(/* @vite-ignore */ referenceUrl).catch(() => null)) as ReferenceModule | null;
const reference = refModule?.loadReference() ?? null;
it('can cross-check: the Hugging Face reference loads', () => {
  expect(reference, refModule?.referenceLoadErrors.join('\n') ?? `cannot import ${referenceUrl}`).not.toBeNull();
});

const opaqueChars: string[] = [];
for (let i = 0; i < NFD_OPAQUE_RANGES.length; i += 8) opaqueChars.push(String.fromCodePoint(NFD_OPAQUE_RANGES[i]!));
const POOL: string[] = [
  ...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789',
  ' ',
  ' ',
  ' ',
  ' ',
  '\t',
  '\n',
  '\r\n',
  ...'!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~',
  '[MASK]',
  '[CLS]',
  '[SEP]',
  '[PAD]',
  '[UNK]',
  '[mask]',
  '[MASK',
  '##',
  ...'éÉèàçñøÅåßẞİıΣσςΟΔΩЁйﬁǄǅ',
  'e\u0301',
  'A\u030a',
  '\u0301',
  '\u0323',
  '\u0345',
  '\u0334',
  '\u1e9b\u0323',
  ...'我爱中文日本語のテキストカタカナ한국어',
  '𠀀',
  '豈',
  '😀',
  '👋🏽',
  '👨‍👩‍👧',
  '🇺🇸',
  '❤️',
  '1️⃣',
  '\u0000',
  '\u0007',
  '\u001f',
  '\u007f',
  '\u0085',
  '\u000b',
  '\u200b',
  '\u200d',
  '\ufeff',
  '\u00ad',
  '\ufffd',
  '\u00a0',
  '\u202f',
  '\u3000',
  '\u2028',
  '\u180e',
  '\ue000',
  '\u{e0041}',
  '\ud800',
  '\udc00',
  '\u0890',
  '\u061d',
  '\u0897',
  '\u1734',
  '\u166d',
  '\u1c89',
  '\ua7cb',
  ...opaqueChars,
  '“',
  '”',
  '—',
  '…',
  '¿',
  '¡',
  '«',
  '»',
  '€',
  '£',
  '∑',
  '√',
  '≥',
  '½',
  '²',
  'tokenization',
  'Straße',
  'unaffordable',
  'x'.repeat(45),
  'é'.repeat(30),
  'мир',
  'مرحبا',
  'שָׁלוֹם',
  'नमस्ते',
  'สวัสดี',
  'ὃ',
  'ᾼ',
  '\u0958',
  '\u0ca7\u0cd5',
];

describe.skipIf(!reference)('randomized cross-check against HF tokenizers', () => {
  it('agrees on random strings from a pool of tricky characters', async () => {
    const ref = refModule!.createReferenceTokenizer(128);
    const mine = WordPieceTokenizer.fromVocabText(vocab, { maxLength: 128 });
    const rnd = mulberry32(20241121);
    const mismatches: string[] = [];
    for (let k = 0; k < 4000; k++) {
      let s = '';
      const len = Math.floor(rnd() * 50);
      for (let i = 0; i < len; i++) s += POOL[Math.floor(rnd() * POOL.length)]!;
      const want = await ref.encode(s);
      const got = mine.encode(s);
      if (JSON.stringify(want) !== JSON.stringify(got)) {
        mismatches.push(`${JSON.stringify(s)}\n  got  ${JSON.stringify(got)}\n  want ${JSON.stringify(want)}`);
      }
    }
    expect(mismatches.slice(0, 20), `${mismatches.length} mismatches`).toEqual([]);
  }, 60_000);

  it('agrees on random strings of arbitrary code points', async () => {
    const ref = refModule!.createReferenceTokenizer(64);
    const mine = WordPieceTokenizer.fromVocabText(vocab, { maxLength: 64 });
    const rnd = mulberry32(7);
    const scalar = (max: number) => {
      for (;;) {
        const cp = Math.floor(rnd() * max);
        if (cp < 0xd800 || cp > 0xdfff) return String.fromCodePoint(cp);
      }
    };
    const mismatches: string[] = [];
    for (let k = 0; k < 4000; k++) {
      let s = '';
      const len = Math.floor(rnd() * 40);
      for (let i = 0; i < len; i++) {
        const r = rnd();
        s +=
          r < 0.3
            ? String.fromCharCode(32 + Math.floor(rnd() * 95))
            : r < 0.45
              ? String.fromCharCode(0x300 + Math.floor(rnd() * 0x70))
              : r < 0.6
                ? String.fromCharCode(0xc0 + Math.floor(rnd() * 0x2c0))
                : r < 0.85
                  ? scalar(0x10000)
                  : scalar(0x110000);
      }
      const want = await ref.encode(s);
      const got = mine.encode(s);
      if (JSON.stringify(want) !== JSON.stringify(got)) {
        mismatches.push(`${JSON.stringify(s)}\n  got  ${JSON.stringify(got)}\n  want ${JSON.stringify(want)}`);
      }
    }
    expect(mismatches.slice(0, 20), `${mismatches.length} mismatches`).toEqual([]);
  }, 60_000);

  it('agrees on long runs of combining marks (the linear NFD path)', async () => {
    const ref = refModule!.createReferenceTokenizer(128);
    const mine = WordPieceTokenizer.fromVocabText(vocab, { maxLength: 128 });
    const normalizer = reference!.tokenizers.bertNormalizer({});
    const marks = [
      '\u0301',
      '\u0316',
      '\u0334',
      '\u0345',
      '\u05b0',
      '\u0f71',
      '\u0f73',
      '\u{1d165}',
      '\u{1d16d}',
      '\u302e',
      '\u0344',
    ];
    const bases = ['a', 'é', 'ǖ', ' ', 'x', 'Σ', '\u{1d15e}'];
    const rnd = mulberry32(1515);
    const mismatches: string[] = [];
    for (let k = 0; k < 200; k++) {
      let s = '';
      const len = 40 + Math.floor(rnd() * 200);
      for (let i = 0; i < len; i++)
        s += rnd() < 0.9 ? marks[Math.floor(rnd() * marks.length)]! : bases[Math.floor(rnd() * bases.length)]!;
      if (normalize(s) !== normalizer.normalizeString(s)) mismatches.push(`normalize ${JSON.stringify(s)}`);
      if (JSON.stringify(mine.encode(s)) !== JSON.stringify(await ref.encode(s)))
        mismatches.push(`encode ${JSON.stringify(s)}`);
    }
    const accents = `a${'\u0301'.repeat(9999)}${'\u0316'.repeat(9999)} word`;
    expect(mine.encode(accents)).toEqual(await ref.encode(accents));
    expect(mismatches.slice(0, 5), `${mismatches.length} mismatches`).toEqual([]);
  });

  it('normalizes and pre-tokenizes every Unicode scalar value like the reference', () => {
    const normalizer = reference!.tokenizers.bertNormalizer({});
    const pre = reference!.tokenizers.bertPreTokenizer();
    const mismatches: string[] = [];
    for (let cp = 0; cp <= 0x10ffff; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      const c = String.fromCodePoint(cp);
      for (const s of [c, `A${c}\u0301Σ`]) {
        const want = normalizer.normalizeString(s);
        const got = normalize(s);
        if (want !== got)
          mismatches.push(`normalize U+${cp.toString(16)}: got ${JSON.stringify(got)} want ${JSON.stringify(want)}`);
      }
      const s = `x${c}y`;
      const want = pre.preTokenizeString(s).map(([w]) => w);
      const got: string[] = [];
      pretokenize(s, got);
      if (want.join('\u0000') !== got.join('\u0000')) mismatches.push(`pretokenize U+${cp.toString(16)}`);
    }
    expect(mismatches.slice(0, 20), `${mismatches.length} mismatches`).toEqual([]);
  }, 120_000);
});
