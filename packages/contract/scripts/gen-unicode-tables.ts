// Probes the Hugging Face tokenizers reference on every Unicode scalar value and writes the
// character tables that packages/inference/src/tokenizer needs to reproduce it exactly:
//   npx tsx packages/contract/scripts/gen-unicode-tables.ts
//
// The reference's character classes are not today's Unicode: BertNormalizer / BertPreTokenizer use
// the `unicode_categories` crate (Unicode 9 tables: Cc/Cf/Co for clean_text, Mn for strip_accents,
// P* for punctuation) and `unicode-normalization-alignments` (Unicode 9 NFD), while Rust's
// char::is_whitespace and char::to_lowercase follow the Unicode of the compiler that built the
// binding. JS (Node 20, ICU) is on a much newer Unicode, so \p{Mn}, \p{P}, String#normalize and
// String#toLowerCase disagree with the reference on every character added since Unicode 9. Rather
// than hand-maintaining exception lists, the tables are measured from the reference itself; the
// script also prints how they differ from the JS Unicode properties.
import { writeFileSync } from 'node:fs';
import { requireReference } from './reference.js';

const { tokenizers: tk, description } = requireReference();

const cleanOnly = tk.bertNormalizer({
  cleanText: true,
  handleChineseChars: false,
  stripAccents: false,
  lowercase: false,
});
const chineseOnly = tk.bertNormalizer({
  cleanText: false,
  handleChineseChars: true,
  stripAccents: false,
  lowercase: false,
});
const stripOnly = tk.bertNormalizer({
  cleanText: false,
  handleChineseChars: false,
  stripAccents: true,
  lowercase: false,
});
const lowerOnly = tk.bertNormalizer({
  cleanText: false,
  handleChineseChars: false,
  stripAccents: false,
  lowercase: true,
});
const nfd = tk.nfdNormalizer();
const pre = tk.bertPreTokenizer();

const MAX = 0x10ffff;
const isSurrogate = (cp: number) => cp >= 0xd800 && cp <= 0xdfff;

const remove: number[] = [];
const whitespace: number[] = [];
const cjk: number[] = [];
const mn: number[] = [];
const punct: number[] = [];
const preWhitespace: number[] = [];
const nfdOpaque: number[] = [];
const lowerPatch = new Map<number, string>();
const problems: string[] = [];

// Marks used to find out whether a character is a combining (ccc != 0) character for NFD:
// U+0345 has ccc 240 (the largest), U+0334 has ccc 1 (the smallest). A character with ccc in 1..239
// moves in front of a following U+0345; one with ccc in 2..240 moves behind a following U+0334.
const jsNonStarter = (c: string) =>
  ('a\u0345' + c).normalize('NFD') !== 'a\u0345' + c || ('a' + c + '\u0334').normalize('NFD') !== 'a' + c + '\u0334';
const rustNonStarter = (c: string) =>
  nfd.normalizeString('a\u0345' + c) !== 'a\u0345' + c ||
  nfd.normalizeString('a' + c + '\u0334') !== 'a' + c + '\u0334';

const hex = (cp: number) => cp.toString(16).toUpperCase().padStart(4, '0');
const t0 = performance.now();
for (let cp = 0; cp <= MAX; cp++) {
  if (isSurrogate(cp)) continue;
  const c = String.fromCodePoint(cp);

  const cl = cleanOnly.normalizeString(c);
  if (cl === '') remove.push(cp);
  else if (cl === ' ') whitespace.push(cp);
  else if (cl !== c) problems.push(`clean_text maps U+${hex(cp)} to ${JSON.stringify(cl)}`);

  const ch = chineseOnly.normalizeString(c);
  if (ch === ` ${c} `) cjk.push(cp);
  else if (ch !== c) problems.push(`chinese maps U+${hex(cp)} to ${JSON.stringify(ch)}`);

  const rustNfd = nfd.normalizeString(c);
  const jsNfd = c.normalize('NFD');
  if (rustNfd !== jsNfd) {
    if (rustNfd === c) nfdOpaque.push(cp);
    else problems.push(`NFD of U+${hex(cp)}: rust ${JSON.stringify(rustNfd)} js ${JSON.stringify(jsNfd)}`);
  } else if (rustNfd === c) {
    const j = jsNonStarter(c);
    const r = rustNonStarter(c);
    if (j && !r) nfdOpaque.push(cp);
    else if (r && !j) problems.push(`U+${hex(cp)} is a non-starter in rust only`);
    // Mn as strip_accents sees it (only meaningful for characters NFD leaves alone).
    if (stripOnly.normalizeString(c) === '') mn.push(cp);
  }

  const lo = lowerOnly.normalizeString(c);
  const jsLo = c.toLowerCase();
  if (lo !== jsLo) lowerPatch.set(cp, lo);

  const pieces = pre.preTokenizeString(`a${c}a`);
  if (pieces.length === 3) punct.push(cp);
  else if (pieces.length === 2) {
    preWhitespace.push(cp);
    // A whitespace split: clean_text has already mapped it to U+0020 or deleted it (U+000B,
    // U+000C and U+0085 are Cc, so they never reach the pre-tokenizer).
    if (cl !== ' ' && cl !== '') problems.push(`pre-tokenizer splits on U+${hex(cp)} which clean_text keeps`);
  } else if (pieces.length !== 1) problems.push(`pre-tokenizer gives ${pieces.length} pieces around U+${hex(cp)}`);
}
const seconds = ((performance.now() - t0) / 1000).toFixed(1);

function ranges(cps: number[]): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const cp of cps) {
    const last = out[out.length - 1];
    if (last && last[1] === cp - 1) last[1] = cp;
    else out.push([cp, cp]);
  }
  return out;
}

function fmt(name: string, doc: string, cps: number[]): string {
  const rs = ranges(cps);
  const flat = rs.flatMap(([a, b]) => [a, b]).map((n) => `0x${n.toString(16)}`);
  const lines: string[] = [];
  for (let i = 0; i < flat.length; i += 12) lines.push(`  ${flat.slice(i, i + 12).join(', ')},`);
  return `/** ${doc} (${cps.length} code points, ${rs.length} ranges; inclusive [start, end] pairs). */\nexport const ${name}: readonly number[] = [\n${lines.join('\n')}\n];\n`;
}

// How the measured sets differ from what today's JS Unicode would say.
function diff(label: string, cps: number[], re: RegExp): void {
  const set = new Set(cps);
  const onlyRust: number[] = [];
  const onlyJs: number[] = [];
  for (let cp = 0; cp <= MAX; cp++) {
    if (isSurrogate(cp)) continue;
    const js = re.test(String.fromCodePoint(cp));
    if (set.has(cp) && !js) onlyRust.push(cp);
    if (!set.has(cp) && js) onlyJs.push(cp);
  }
  console.log(
    `${label}: ${cps.length} in reference; reference-only ${onlyRust.length}` +
      (onlyRust.length ? ` (${onlyRust.slice(0, 6).map(hex).join(' ')})` : '') +
      `, JS-only ${onlyJs.length}` +
      (onlyJs.length ? ` (e.g. ${onlyJs.slice(0, 6).map(hex).join(' ')})` : ''),
  );
}
diff(
  'clean_text removes vs [\\p{Cc}\\p{Cf}\\p{Co}\\0\\uFFFD] minus \\t\\n\\r',
  remove,
  /^(?![\t\n\r])[\p{Cc}\p{Cf}\p{Co}\uFFFD]$/u,
);
diff('strip_accents Mn vs \\p{Mn}', mn, /^\p{Mn}$/u);
diff('punctuation vs \\p{P} or ASCII punct', punct, /^[\p{P}!-/:-@[-`{-~]$/u);
console.log(`NFD opaque (JS decomposes or reorders, reference does not): ${nfdOpaque.length}`);
console.log(
  `lowercase differences: ${lowerPatch.size}` +
    (lowerPatch.size ? ` (${[...lowerPatch.keys()].slice(0, 8).map(hex).join(' ')})` : ''),
);
console.log(`whitespace: ${whitespace.map(hex).join(' ')}`);
console.log(
  `CJK ranges: ${ranges(cjk)
    .map(([a, b]) => `${hex(a)}-${hex(b)}`)
    .join(' ')}`,
);
console.log(`probed ${MAX + 1 - 2048} code points in ${seconds}s`);
if (problems.length) {
  console.error(`${problems.length} unexpected behaviours:\n${problems.slice(0, 50).join('\n')}`);
  process.exit(1);
}

const lowerEntries = [...lowerPatch.entries()]
  .map(
    ([cp, s]) => `  [0x${cp.toString(16)}, '${[...s].map((c) => `\\u{${c.codePointAt(0)!.toString(16)}}`).join('')}'],`,
  )
  .join('\n');
const out = `// GENERATED by packages/contract/scripts/gen-unicode-tables.ts from ${description}.
// Do not edit: rerun the script. Every Unicode scalar value was probed against the reference.
/* eslint-disable */

${fmt('REMOVE_RANGES', 'Characters BertNormalizer clean_text deletes: NUL, U+FFFD and Unicode 9 Cc/Cf/Co except \\t \\n \\r', remove)}
${fmt('WHITESPACE_RANGES', 'Characters clean_text turns into U+0020 (\\t \\n \\r and Rust char::is_whitespace, minus removed controls)', whitespace)}
${fmt('CJK_RANGES', 'Characters handle_chinese_chars surrounds with spaces', cjk)}
${fmt('MN_RANGES', 'Nonspacing marks (Unicode 9 Mn) that strip_accents drops after NFD', mn)}
${fmt('PRE_WHITESPACE_RANGES', 'Characters BertPreTokenizer splits on (Rust char::is_whitespace); U+000B, U+000C, U+0085 only matter without clean_text', preWhitespace)}
${fmt('PUNCT_RANGES', 'BertPreTokenizer punctuation: ASCII punctuation or Unicode 9 P*', punct)}
${fmt('NFD_OPAQUE_RANGES', 'Characters the reference NFD (Unicode 9) leaves alone and treats as starters, while JS String#normalize decomposes or reorders them', nfdOpaque)}
/** Code points whose Rust char::to_lowercase differs from JS String#toLowerCase on the lone character. */
export const LOWERCASE_PATCH: ReadonlyArray<readonly [number, string]> = [
${lowerEntries}
];
`;
const target = new URL('../../inference/src/tokenizer/unicode-tables.ts', import.meta.url);
writeFileSync(target, out);
console.log(`wrote ${target.pathname}`);
