// BertPreTokenizer: split on whitespace (removed) and isolate every punctuation character
// (ASCII punctuation or Unicode P*, as the reference's Unicode 9 tables define it).
import { F_PUNCT, F_SPLIT, FLAGS } from './chars.js';
import { codePointAt } from './normalize.js';

/** Appends the words of an already normalized string to `words`. */
export function pretokenize(s: string, words: string[]): void {
  const n = s.length;
  let start = -1;
  for (let i = 0; i < n; i++) {
    const cp = codePointAt(s, i);
    const len = cp > 0xffff ? 2 : 1;
    const f = FLAGS[cp]!;
    if (f & (F_SPLIT | F_PUNCT)) {
      if (start >= 0) {
        words.push(s.slice(start, i));
        start = -1;
      }
      if (f & F_PUNCT) words.push(s.slice(i, i + len));
    } else if (start < 0) {
      start = i;
    }
    i += len - 1;
  }
  if (start >= 0) words.push(s.slice(start));
}
