// Micro-benchmark of the WordPiece tokenizer:
//   npx tsx packages/inference/bench/tokenizer.ts            (needs packages/model built)
// SERVEBENCH_BENCH_SECONDS sets the measuring time per row (default 3).
// Each sentence set is encoded in a loop with the word cache disabled ("no cache") and with the
// default 50k-entry cache already warm ("warm cache"). Prints sentences/s and tokens/s.
import { vocabText } from '@servebench/model';
import { WordPieceTokenizer } from '../src/tokenizer/index.js';
import { SHORT } from './sentences.js';

const SECONDS = Number(process.env.SERVEBENCH_BENCH_SECONDS ?? 3);

const UNICODE = [
  'Café crème, naïve résumé — déjà vu at the Ångström institute.',
  'ΟΔΟΣ and ΣΟΦΟΣ are Greek words; Straße is German, İstanbul Turkish.',
  '我爱自然语言处理, and 日本語のテキスト is Japanese; 한국어 is Korean.',
  'Emoji like 😀 👋🏽 and 🇺🇸 appear in chats next to “smart quotes”.',
];
const group = (n: number): string[] =>
  SHORT.map((_, i) => Array.from({ length: n }, (_, k) => SHORT[(i + k * 5) % SHORT.length]!).join(' '));

const SETS: Array<{ name: string; sentences: string[] }> = [
  { name: 'short (~10 words)', sentences: SHORT },
  { name: 'medium (~40 words)', sentences: group(4) },
  { name: 'long (~200 words)', sentences: group(18) },
  { name: 'short, non-ASCII', sentences: UNICODE },
];

function measure(tok: WordPieceTokenizer, sentences: string[], seconds: number) {
  let count = 0;
  let tokens = 0;
  const start = performance.now();
  const deadline = start + seconds * 1000;
  let now = start;
  while (now < deadline) {
    for (let r = 0; r < 16; r++) {
      for (const s of sentences) {
        tokens += tok.encode(s).length;
        count++;
      }
    }
    now = performance.now();
  }
  const secs = (now - start) / 1000;
  return { sentencesPerSec: count / secs, tokensPerSec: tokens / secs };
}

const vocab = vocabText();
const modes = [
  { mode: 'no cache', make: () => WordPieceTokenizer.fromVocabText(vocab, { maxLength: 512, cacheSize: 0 }) },
  { mode: 'warm cache', make: () => WordPieceTokenizer.fromVocabText(vocab, { maxLength: 512 }) },
];

const fmt = (n: number) => Math.round(n).toLocaleString('en-US').padStart(12);
console.log(`WordPiece tokenizer micro-benchmark (node ${process.version}, ${SECONDS}s per row)`);
console.log(
  `${'set'.padEnd(20)} ${'mode'.padEnd(11)} ${'tokens/sent'.padStart(11)} ${'sentences/s'.padStart(12)} ${'tokens/s'.padStart(12)}`,
);
const counter = modes[0]!.make();
for (const { name, sentences } of SETS) {
  const perSentence = sentences.reduce((a, s) => a + counter.encode(s).length, 0) / sentences.length;
  for (const { mode, make } of modes) {
    const tok = make();
    measure(tok, sentences, Math.min(0.5, SECONDS)); // JIT warm-up, and fills the cache when enabled
    const r = measure(tok, sentences, SECONDS);
    console.log(
      `${name.padEnd(20)} ${mode.padEnd(11)} ${perSentence.toFixed(1).padStart(11)} ${fmt(r.sentencesPerSec)} ${fmt(r.tokensPerSec)}`,
    );
  }
}
