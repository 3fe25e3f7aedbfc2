// mulberry32 in [0, 1) (seeded, so a failure names a reproducible seed).
import { mulberry32Unit as mulberry32 } from '@servebench/model';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CCC_ROWS } from './ccc-table.js';
import { F_NFD_OPAQUE, FLAGS } from './chars.js';
import { MAX_NON_STARTERS, nfd, normalize } from './normalize.js';

// Every character with a non-zero combining class that the reference (Unicode 9) knows (the newer
// ones are opaque to it: never reordered), a few
// class-0 characters that decompose into marks, and starters that decompose into base + marks.
const MARKS: string[] = [];
for (let i = 0; i < CCC_ROWS.length; i += 3) {
  for (let cp = CCC_ROWS[i]!; cp <= CCC_ROWS[i + 1]!; cp++)
    if (!(FLAGS[cp]! & F_NFD_OPAQUE)) MARKS.push(String.fromCodePoint(cp));
}
const OTHERS = [...'aeoAÅǖḕṩ', '\u0f73', '\u0f75', '\u0f81', '\u0344', '\u1d15e', '\u{1d15e}', '\u{1d160}', ' ', 'x'];

/** The longest run of characters ICU was asked to normalize that are all combining marks (class != 0). */
function longestMarkRunPassedToIcu(calls: string[]): number {
  let worst = 0;
  for (const s of calls) {
    let run = 0;
    for (const ch of s) {
      const d = ch.normalize('NFD');
      run = d !== ch || !isMark(ch) ? 0 : run + 1;
      worst = Math.max(worst, run);
    }
  }
  return worst;
}
const markSet = new Set(MARKS);
const isMark = (ch: string) => markSet.has(ch);

describe('nfd', () => {
  it('equals String#normalize("NFD") on random mixes of marks, starters and composed characters', () => {
    const rnd = mulberry32(15);
    const mismatches: string[] = [];
    for (let k = 0; k < 3000; k++) {
      let s = '';
      const len = 1 + Math.floor(rnd() * 90);
      for (let i = 0; i < len; i++) {
        s += rnd() < 0.8 ? MARKS[Math.floor(rnd() * MARKS.length)]! : OTHERS[Math.floor(rnd() * OTHERS.length)]!;
      }
      if (nfd(s) !== s.normalize('NFD')) mismatches.push(JSON.stringify(s));
    }
    expect(mismatches.slice(0, 5), `${mismatches.length} mismatches`).toEqual([]);
  });

  it('sorts a long run of marks in non-canonical order exactly as NFD does', () => {
    const s = `é${'\u0301\u0316'.repeat(200)}${'\u0301'.repeat(50)}${'\u0316'.repeat(50)}x\u{1d16d}\u{1d165}`.repeat(3);
    expect(nfd(s)).toBe(s.normalize('NFD'));
  });

  describe('never hands the engine a run of more than MAX_NON_STARTERS marks', () => {
    afterEach(() => vi.restoreAllMocks());
    it('(the engine sorts such runs in quadratic time)', () => {
      const calls: string[] = [];
      const original = String.prototype.normalize;
      vi.spyOn(String.prototype, 'normalize').mockImplementation(function (this: string, form?: string) {
        calls.push(String(this));
        return original.call(this, form);
      });
      const accents = `a${'\u0301'.repeat(2000)}${'\u0316'.repeat(2000)} b`;
      const out = normalize(accents);
      vi.restoreAllMocks();
      expect(out).toBe('a b');
      expect(longestMarkRunPassedToIcu(calls)).toBeLessThanOrEqual(MAX_NON_STARTERS);
    });
  });
});
