// Golden tokenizer fixtures from the Hugging Face reference (Rust core):
//   npx tsx packages/contract/scripts/gen-fixtures.ts
// writes packages/contract/fixtures/tokenize.json. Needs the native binding (see reference.ts /
// fetch-reference-binding.sh). src/fixtures.test.ts regenerates every case and compares.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MAX_LENGTH, createReferenceTokenizer } from './reference.js';

export interface FixtureCase {
  name: string;
  text: string;
}

// A deterministic long text: more than 512 tokens, so truncation keeps 510 + [CLS] + [SEP].
const LONG_PARAGRAPH =
  'Tokenizers split text into pieces that a model understands; the WordPiece algorithm, used by BERT, ' +
  'greedily takes the longest vocabulary entry at each position and marks continuations with two hashes. ' +
  'Unknown words become [UNK], accents are stripped, and Chinese characters are isolated. ';

const hundred = 'pneumonoultramicroscopicsilicovolcanoconiosis'.repeat(3).slice(0, 100);

/** The fixture cases, in file order. Names are unique. */
export const CASES: FixtureCase[] = [
  // plain English and case
  { name: 'empty string', text: '' },
  { name: 'single word', text: 'hello' },
  { name: 'plain sentence', text: 'The quick brown fox jumps over the lazy dog.' },
  { name: 'mixed case', text: 'HeLLo WoRLD, ThIs Is MiXeD CaSe' },
  { name: 'all caps', text: 'SERVING MODELS FAST IS MOSTLY ABOUT AVOIDING IDLE TIME' },
  { name: 'subword split', text: 'unaffordable tokenization hyperparameterization' },
  { name: 'contractions', text: "I can't believe it's not butter; they'd've known y'all" },
  { name: 'question', text: 'Is this restaurant open on public holidays?' },
  { name: 'multi sentence', text: 'First sentence. Second one! Third? Fourth… fifth' },
  { name: 'repeated words', text: 'the the the the the the the' },
  // accents and normalization forms
  { name: 'accents cafe naive', text: 'café naïve résumé façade jalapeño' },
  { name: 'accents capital', text: 'Ångström ÉCOLE Ñandú ÜBER Ørsted' },
  { name: 'nfc composed', text: 'r\u00e9sum\u00e9 caf\u00e9' },
  { name: 'nfd decomposed', text: 're\u0301sume\u0301 cafe\u0301' },
  { name: 'combining marks stacked', text: 'a\u0301\u0302\u0303\u0304 e\u0323\u0302 Z\u0351\u036b\u0343\u036a\u0302' },
  { name: 'combining mark alone', text: '\u0301 \u0308x \u0327' },
  { name: 'vietnamese', text: 'Tiếng Việt có dấu: Nguyễn, Trường, Hà Nội' },
  { name: 'polish czech', text: 'Zażółć gęślą jaźń; Příliš žluťoučký kůň' },
  { name: 'german eszett', text: 'Straße Fußball groß STRASSE ẞ' },
  { name: 'turkish dotted I', text: 'İstanbul İİ ıi DİYARBAKIR' },
  { name: 'greek final sigma word end', text: 'ΟΔΟΣ' },
  { name: 'greek sigma in sentence', text: 'ΟΔΟΣ ΣΟΦΟΣ Σ ΣΣ Ὀδυσσεύς' },
  { name: 'greek lowercase', text: 'καλημέρα κόσμε, ψυχή' },
  { name: 'ligatures', text: 'ﬁnance ﬂow ﬀ ﬃ Œuvre æther Ĳssel' },
  { name: 'fullwidth latin', text: 'ＦＵＬＬＷＩＤＴＨ ｔｅｘｔ １２３' },
  { name: 'kelvin angstrom ohm signs', text: 'K Å Ω ℃ ™ №' },
  { name: 'superscripts fractions', text: 'x² y³ ½ ¾ H₂O' },
  // CJK
  { name: 'chinese simplified', text: '我爱自然语言处理。' },
  { name: 'chinese traditional mixed', text: '機器學習 is 很有趣!' },
  { name: 'japanese kana kanji', text: '日本語のテキストをトークン化します。カタカナとひらがな' },
  { name: 'japanese halfwidth katakana', text: 'ｶﾀｶﾅ ﾃｽﾄ' },
  { name: 'korean hangul', text: '안녕하세요 세계! 한국어 토큰화' },
  { name: 'cjk extension b', text: '𠀀𠀁 𪜀 𫝀 𫠠 𬺰' },
  { name: 'cjk compatibility ideographs', text: '豈 更 車 ' },
  { name: 'cjk punctuation', text: '「引用」『二重』【括弧】、。・〜' },
  // emoji
  { name: 'emoji simple', text: 'I love pizza 🍕 and 😀!' },
  { name: 'emoji zwj family', text: 'family: 👨‍👩‍👧‍👦 ok' },
  { name: 'emoji flags', text: 'flags 🇺🇸 🇯🇵 🇩🇪' },
  { name: 'emoji skin tones', text: 'wave 👋🏽 thumbs 👍🏿' },
  { name: 'emoji variation selector', text: 'heart ❤️ star ⭐ ☺︎' },
  { name: 'emoji keycap', text: 'keycap 1️⃣ #️⃣' },
  { name: 'emoji attached to word', text: 'great🔥job' },
  // punctuation and symbols
  { name: 'ascii punctuation all', text: '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~' },
  { name: 'ascii symbols in words', text: 'a$b+c<d=e>f^g`h|i~j' },
  { name: 'math expression', text: 'x^2 + y^2 = r^2; a<b>c; f(x) = 3*x - 1' },
  { name: 'unicode quotes dashes', text: '“smart quotes” ‘single’ — em – en ‒ figure' },
  { name: 'unicode punctuation misc', text: '¡Hola! ¿Qué? «guillemets» ‹single› … ‰ † ‡ • ※ ‼ ⁇' },
  { name: 'math symbols', text: '∀x ∈ ℝ: x² ≥ 0 ∑ ∫ √ ∞ ≠ ≈ ∂ ∇ ⊂ ∪ ∩ ± × ÷' },
  { name: 'currency', text: '$100 €50 £30 ¥1000 ₹200 ₿0.5 ¢' },
  { name: 'arrows and box drawing', text: '← → ↑ ↓ ⇒ ─│┌┐ ■ □ ● ○' },
  { name: 'hash and at', text: '#hashtag @mention ##not-a-subword' },
  // numbers, URLs, emails, code
  { name: 'numbers', text: '3.14159 1,000,000 -42 1e-9 0x1F 2024-11-21 12:30:00' },
  { name: 'long number', text: '12345678901234567890123456789' },
  { name: 'url', text: 'Visit https://example.com/path/to/page?query=1&lang=en#section now' },
  { name: 'email', text: 'Contact jane.doe+test@example.co.uk for info' },
  { name: 'code snippet', text: 'function add(a, b) { return a + b; } // sum\nconst x = [1, 2, 3].map((v) => v * 2);' },
  { name: 'python snippet', text: 'def f(x):\n\treturn {"key": x[0] if x else None}' },
  { name: 'json snippet', text: '{"id": 7, "tags": ["a", "b"], "ok": true}' },
  { name: 'snake and camel case', text: 'snake_case_name camelCaseName PascalCase kebab-case' },
  { name: 'file path', text: 'C:\\Users\\me\\file.txt /usr/local/bin/node ./a/b.ts' },
  // word length limit
  { name: 'word of 100 chars', text: hundred },
  { name: 'word of 101 chars', text: `${hundred}x` },
  { name: 'word over 100 chars in sentence', text: `short ${'a'.repeat(150)} words` },
  { name: 'word of 100 accented chars', text: 'é'.repeat(100) },
  { name: 'word of 100 chars plus marks', text: `${'b'.repeat(100)}\u0301\u0301` },
  { name: 'word of 100 capital chars', text: 'AB'.repeat(50) },
  { name: 'word of 101 chars with control', text: `${'c'.repeat(100)}\u0007d` },
  { name: 'unknown word', text: 'qzxjwv' },
  // special tokens
  { name: 'literal mask', text: 'The capital of France is [MASK].' },
  { name: 'literal all specials', text: '[CLS] a [SEP] b [PAD] c [UNK] d [MASK]' },
  { name: 'specials glued', text: 'x[MASK]y[SEP][SEP]z' },
  { name: 'lowercase mask', text: 'the [mask] and [Mask] and [ MASK ]' },
  { name: 'partial special', text: '[MAS] [MASKS] [[MASK]] [CLS' },
  { name: 'special then accents', text: '[MASK]café[MASK]ΟΔΟΣ' },
  { name: 'special surrounded by whitespace', text: '  [MASK]  \n[SEP]\t' },
  // whitespace and control characters
  { name: 'whitespace only', text: ' \t\n\r  ' },
  { name: 'tabs newlines cr', text: 'line1\nline2\r\nline3\tcol2\t\tcol3' },
  { name: 'nul and bell', text: 'a\u0000b c\u0007d e\u001ff' },
  { name: 'del char', text: 'del\u007fete' },
  { name: 'zero width space', text: 'zero\u200bwidth\u200cnon\u200djoiner' },
  { name: 'soft hyphen', text: 'hy\u00adphen\u00adation' },
  { name: 'replacement char', text: 'bad\ufffdbyte \ufffd' },
  { name: 'byte order mark', text: '\ufeffBOM at start' },
  { name: 'non-breaking spaces', text: 'non\u00a0breaking\u202fnarrow\u2009thin\u3000ideographic' },
  { name: 'vertical tab form feed nel', text: 'a\u000bb\u000cc\u0085d' },
  { name: 'line and paragraph separators', text: 'one\u2028two\u2029three' },
  { name: 'mongolian vowel separator', text: 'x\u180ey' },
  { name: 'bidi controls', text: '\u202aLTR\u202c \u2066iso\u2069 \u200fRLM' },
  { name: 'private use', text: 'pua\ue000\uf8ff end' },
  { name: 'c1 controls', text: 'c1\u0080\u0090\u009fend' },
  { name: 'tag characters', text: 'tag\u{e0041}\u{e007f} end' },
  // other scripts
  { name: 'arabic', text: 'مرحبا بالعالم، كيف حالك؟' },
  { name: 'arabic with diacritics', text: 'اَلْعَرَبِيَّةُ' },
  { name: 'hebrew', text: 'שָׁלוֹם עוֹלָם' },
  { name: 'hindi devanagari', text: 'नमस्ते दुनिया। यह एक परीक्षण है।' },
  { name: 'thai', text: 'สวัสดีชาวโลก ภาษาไทย' },
  { name: 'cyrillic', text: 'Привет, МИР! Ёлка й' },
  { name: 'armenian georgian', text: 'Բարեւ ՀԱՅԱՍՏԱՆ ქართული' },
  { name: 'ethiopic', text: 'ሰላም ዓለም፣ እንዴት ነህ፧' },
  { name: 'tamil bengali', text: 'வணக்கம் উপমহাদেশ' },
  { name: 'mixed scripts', text: 'English, Русский, 中文, العربية, हिन्दी, 日本語 and 한국어 together' },
  // truncation
  { name: 'long text truncated', text: LONG_PARAGRAPH.repeat(12) },
  { name: 'exactly 510 content tokens', text: Array.from({ length: 510 }, () => 'a').join(' ') },
  { name: 'exactly 511 content tokens', text: Array.from({ length: 511 }, () => 'a').join(' ') },
  { name: 'truncation inside a word', text: `${Array.from({ length: 509 }, () => 'the').join(' ')} unaffordable` },
  { name: 'truncation with mask near end', text: `${Array.from({ length: 509 }, () => 'b').join(' ')} [MASK] [MASK]` },
];

function escapeInvisible(json: string): string {
  return json.replace(/(?! )[\p{Cc}\p{Cf}\p{Co}\p{Z}\uFFFD]/gu, (ch) =>
    Array.from({ length: ch.length }, (_, i) => `\\u${ch.charCodeAt(i).toString(16).padStart(4, '0')}`).join(''),
  );
}

async function main(): Promise<void> {
  const ref = createReferenceTokenizer(MAX_LENGTH);
  const names = new Set<string>();
  const cases = [];
  for (const c of CASES) {
    if (names.has(c.name)) throw new Error(`duplicate case name ${c.name}`);
    names.add(c.name);
    if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(c.text))
      throw new Error(`case ${c.name} has a lone surrogate`);
    cases.push({ name: c.name, text: c.text, input_ids: await ref.encode(c.text) });
  }
  const doc = {
    generator: ref.description,
    vocabSha256: ref.vocabSha256,
    maxLength: MAX_LENGTH,
    cases,
  };
  const target = fileURLToPath(new URL('../fixtures/tokenize.json', import.meta.url));
  // One case per line keeps diffs readable.
  // Invisible characters (controls, format characters, odd spaces) are written as \\u escapes.
  const body = cases.map((c) => `    ${escapeInvisible(JSON.stringify(c))}`).join(',\n');
  const head = JSON.stringify({ ...doc, cases: [] }, null, 2).replace(/"cases": \[\]\n\}$/, '');
  writeFileSync(target, `${head}"cases": [\n${body}\n  ]\n}\n`);
  JSON.parse(`${head}"cases": [\n${body}\n  ]\n}\n`);
  console.log(`wrote ${cases.length} cases to ${target} (${ref.description})`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main();
}
