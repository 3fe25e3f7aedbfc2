// The tokenizer follows the checkpoint: all-MiniLM-L6-v2's max length (256, from
// sentence_bert_config.json) against the golden ids Hugging Face `tokenizers` produced from its own
// tokenizer.json (packages/model/fixtures/all-minilm-l6-v2.golden.json), and the BertNormalizer
// switches a cased checkpoint turns off.
import { readFileSync } from 'node:fs';
import { vocabText } from '@servebench/model';
import { describe, expect, it } from 'vitest';
import { WordPieceTokenizer } from './index.js';

const golden = JSON.parse(
  readFileSync(new URL('../../../model/fixtures/all-minilm-l6-v2.golden.json', import.meta.url), 'utf8'),
) as { texts: string[]; input_ids: number[][]; max_seq_length: number };

describe('tokenizer settings from the checkpoint', () => {
  it('max length 256: the same ids as HF tokenizers on every golden text, truncation included', () => {
    expect(golden.max_seq_length).toBe(256);
    const tok = WordPieceTokenizer.fromVocabText(vocabText(), { maxLength: golden.max_seq_length });
    golden.texts.forEach((t, i) => expect(tok.encode(t), JSON.stringify(t).slice(0, 80)).toEqual(golden.input_ids[i]));
    // The fixtures do reach the limit, so truncation at 256 is exercised.
    expect(golden.input_ids.some((ids) => ids.length === 256)).toBe(true);
  });

  it('lowercase and strip_accents off keep case and accents (ASCII and non-ASCII paths)', () => {
    const uncased = WordPieceTokenizer.fromVocabText(vocabText(), { maxLength: 64 });
    const cased = WordPieceTokenizer.fromVocabText(vocabText(), { maxLength: 64, lowercase: false });
    const accents = WordPieceTokenizer.fromVocabText(vocabText(), { maxLength: 64, stripAccents: false });
    expect(cased.lowercase).toBe(false);
    expect(cased.stripAccents).toBe(false); // follows lowercase, as strip_accents: null
    const unk = uncased.unkId;
    // bert-base-uncased has no "Hello": kept as is, it is [UNK]; lowercased it is "hello".
    expect(uncased.encode('Hello')).toEqual([101, uncased.tokenToId('hello'), 102]);
    expect(cased.encode('Hello')).toEqual([101, unk, 102]);
    expect(cased.encode('Héllo wörld')).toEqual([101, unk, unk, 102]);
    // "café" keeps its é without strip_accents: not the id of "cafe".
    expect(uncased.encode('Café')).toEqual([101, uncased.tokenToId('cafe'), 102]);
    expect(accents.encode('Café')).not.toEqual(uncased.encode('Café'));
    expect(accents.tokenToId('café')).toBeUndefined();
    expect(accents.encode('Café')).toEqual([101, unk, 102]);
  });

  it('tokenize_chinese_chars=false is refused with a clear message', () => {
    expect(() => WordPieceTokenizer.fromVocabText(vocabText(), { maxLength: 64, tokenizeChineseChars: false })).toThrow(
      /tokenize_chinese_chars=false is not supported/,
    );
  });
});
