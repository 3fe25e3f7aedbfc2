// BertNormalizer(clean_text, handle_chinese_chars, strip_accents, lowercase), as in Hugging Face
// tokenizers: the four steps run in that order over the whole string.
import {
  F_CJK,
  F_LOWER_PATCH,
  F_MN,
  F_NFD_OPAQUE,
  F_REMOVE,
  F_WS,
  FLAGS,
  LOWER_PATCH,
  LOWER_PATCH_MIN,
} from './chars.js';
import { CCC_ROWS, NON_STARTER_LEADS } from './ccc-table.js';

/** Decodes the code point at `i` (a well-formed surrogate pair, else the code unit itself). */
export function codePointAt(s: string, i: number): number {
  const cu = s.charCodeAt(i);
  if (cu >= 0xd800 && cu <= 0xdbff && i + 1 < s.length) {
    const lo = s.charCodeAt(i + 1);
    if (lo >= 0xdc00 && lo <= 0xdfff) return ((cu - 0xd800) << 10) + (lo - 0xdc00) + 0x10000;
  }
  return cu;
}

/**
 * clean_text + handle_chinese_chars: deletes NUL, U+FFFD and control/format/private-use
 * characters, maps whitespace to U+0020, surrounds CJK ideographs with spaces.
 * Returns the input itself when nothing changes.
 */
export function cleanText(s: string): string {
  const n = s.length;
  let out = '';
  let last = 0;
  for (let i = 0; i < n; i++) {
    const cu = s.charCodeAt(i);
    if (cu >= 0x20 && cu < 0x7f) continue; // printable ASCII: untouched
    const cp = codePointAt(s, i);
    const len = cp > 0xffff ? 2 : 1;
    const f = FLAGS[cp]!;
    if (f & F_REMOVE) {
      out += s.slice(last, i);
      last = i + len;
    } else if (f & F_WS) {
      if (cp !== 0x20) {
        out += `${s.slice(last, i)} `;
        last = i + len;
      }
    } else if (f & F_CJK) {
      out += `${s.slice(last, i)} ${s.slice(i, i + len)} `;
      last = i + len;
    }
    i += len - 1;
  }
  return last === 0 ? s : out + s.slice(last);
}

/**
 * UAX #15's stream-safe limit: runs of at most this many non-starters go to the engine's NFD as
 * they are. ICU sorts a run of combining marks in quadratic time, so a longer run is decomposed and
 * sorted here instead (stable sort by combining class: linearithmic, same result).
 */
export const MAX_NON_STARTERS = 30;

/** Canonical combining class per code point below CCC_LIMIT (every class-0 character reads 0). */
const CCC_LIMIT = 0x20000;
const CCC = new Uint8Array(CCC_LIMIT);
for (let i = 0; i + 2 < CCC_ROWS.length; i += 3) CCC.fill(CCC_ROWS[i + 2]!, CCC_ROWS[i]!, CCC_ROWS[i + 1]! + 1);
/** Code points whose decomposition starts with a non-starter (their own class, or 0xff for the class-0 ones). */
const LEADS = new Set(NON_STARTER_LEADS);
const ccc = (cp: number): number => (cp < CCC_LIMIT ? CCC[cp]! : 0);
const leadsNonStarter = (cp: number): boolean => ccc(cp) !== 0 || LEADS.has(cp);

/** Full canonical decomposition of single characters, cached (bounded: cleared when full). */
const decomposed = new Map<number, string>();
function decompose(cp: number, ch: string): string {
  if (cp < 0xc0) return ch;
  let d = decomposed.get(cp);
  if (d === undefined) {
    if (decomposed.size >= 4096) decomposed.clear();
    d = ch.normalize('NFD');
    decomposed.set(cp, d);
  }
  return d;
}

/** NFD of a string without opaque characters: the engine's, unless it has a run longer than MAX_NON_STARTERS. */
function nfdSegment(s: string): string {
  let run = 0;
  let long = false;
  for (let i = 0; i < s.length; i++) {
    const cu = s.charCodeAt(i);
    if (cu < 0x300) {
      run = 0;
      continue;
    }
    const cp = codePointAt(s, i);
    if (cp > 0xffff) i++;
    run = leadsNonStarter(cp) ? run + 1 : 0;
    if (run > MAX_NON_STARTERS) {
      long = true;
      break;
    }
  }
  if (!long) return s.normalize('NFD');
  // Decompose character by character, then put each run of non-starters in canonical order.
  const out: number[] = [];
  let runStart = 0;
  const flush = () => {
    if (out.length - runStart > 1) {
      const run = out.slice(runStart).sort((x, y) => ccc(x) - ccc(y)); // Array#sort is stable
      for (let k = 0; k < run.length; k++) out[runStart + k] = run[k]!;
    }
  };
  for (let i = 0; i < s.length; i++) {
    const cp = codePointAt(s, i);
    const wide = cp > 0xffff;
    const d = cp < 0xc0 ? undefined : decompose(cp, wide ? s.slice(i, i + 2) : s[i]!);
    if (wide) i++;
    if (d === undefined || (d.length === 1 && cp < 0x10000)) {
      const c = d === undefined ? cp : d.charCodeAt(0);
      if (ccc(c) === 0) {
        flush();
        runStart = out.length + 1;
      }
      out.push(c);
      continue;
    }
    for (let j = 0; j < d.length; j++) {
      const dcp = codePointAt(d, j);
      if (dcp > 0xffff) j++;
      if (ccc(dcp) === 0) {
        flush();
        runStart = out.length + 1;
      }
      out.push(dcp);
    }
  }
  flush();
  let text = '';
  for (let k = 0; k < out.length; k += 4096) text += String.fromCodePoint(...out.slice(k, k + 4096));
  return text;
}

/** NFD with the reference's (Unicode 9) view: characters flagged opaque are neither decomposed nor reordered. */
export function nfd(s: string): string {
  let out = '';
  let last = 0;
  for (let i = 0; i < s.length; i++) {
    const cu = s.charCodeAt(i);
    if (cu < 0x300) continue;
    const cp = codePointAt(s, i);
    const len = cp > 0xffff ? 2 : 1;
    if (FLAGS[cp]! & F_NFD_OPAQUE) {
      // An opaque character is a starter to the reference, so normalization never crosses it.
      out += nfdSegment(s.slice(last, i)) + s.slice(i, i + len);
      last = i + len;
    }
    i += len - 1;
  }
  return last === 0 ? nfdSegment(s) : out + nfdSegment(s.slice(last));
}

/** strip_accents: NFD, then drop nonspacing marks (Mn). */
export function stripAccents(s: string): string {
  let i = 0;
  const n = s.length;
  // Nothing below U+00C0 decomposes canonically or is a nonspacing mark.
  while (i < n && s.charCodeAt(i) < 0xc0) i++;
  if (i === n) return s;
  const d = nfd(s);
  let out = '';
  let last = 0;
  for (let j = 0; j < d.length; j++) {
    const cu = d.charCodeAt(j);
    if (cu < 0x300) continue;
    const cp = codePointAt(d, j);
    const len = cp > 0xffff ? 2 : 1;
    if (FLAGS[cp]! & F_MN) {
      out += d.slice(last, j);
      last = j + len;
    }
    j += len - 1;
  }
  return last === 0 ? d : out + d.slice(last);
}

/**
 * lowercase, one code point at a time like Rust's char::to_lowercase. JS String#toLowerCase on a
 * whole string applies the Final_Sigma rule (word-final Σ -> ς); Rust never does (Σ -> σ always),
 * so Σ is mapped first. A few recent characters lowercase differently in Node's newer Unicode; those
 * take the per-character path with the measured mapping.
 */
export function lowercase(s: string): string {
  let patch = false;
  for (let i = 0; i < s.length; i++) {
    const cu = s.charCodeAt(i);
    if (cu < LOWER_PATCH_MIN) continue;
    if (FLAGS[codePointAt(s, i)]! & F_LOWER_PATCH) {
      patch = true;
      break;
    }
  }
  if (!patch) {
    return (s.indexOf('\u03a3') === -1 ? s : s.replaceAll('\u03a3', '\u03c3')).toLowerCase();
  }
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    out += LOWER_PATCH.get(cp) ?? (cp === 0x3a3 ? '\u03c3' : ch.toLowerCase());
  }
  return out;
}

/** The full BertNormalizer as configured for bert-base-uncased. */
export function normalize(s: string): string {
  return lowercase(stripAccents(cleanText(s)));
}
