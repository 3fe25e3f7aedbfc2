// Seeded request texts for load tests: every set holds many distinct sentences, so a stack that
// caches answers by input cannot serve a run from its cache. Regenerate the fixture with
//   npx tsx packages/contract/scripts/gen-sentences.ts
// src/sentences.test.ts checks the file equals this output and that the sets are distinct.
import type { SentenceSet } from './fixtures.js';

export const SENTENCE_SEED = 20261201;
export const SENTENCES_PER_SET = 512;

/** mulberry32: a small, fast PRNG whose output is the same on every platform. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SUBJECTS = [
  'the engineer',
  'our team',
  'the new intern',
  'a small startup',
  'the city council',
  'the research group',
  'the night shift',
  'my neighbour',
  'the support desk',
  'the library',
  'the orchestra',
  'a local bakery',
  'the school board',
  'the data platform',
  'the mobile app',
  'the warehouse crew',
  'the museum',
  'the editor',
  'the pilot',
  'the gardener',
  'the hospital',
  'the translation service',
  'the weather station',
  'the ferry operator',
];
const VERBS = [
  'reviewed',
  'rebuilt',
  'measured',
  'questioned',
  'simplified',
  'postponed',
  'documented',
  'announced',
  'tested',
  'replaced',
  'shipped',
  'cancelled',
  'translated',
  'repaired',
  'compared',
  'summarised',
  'scheduled',
  'audited',
  'painted',
  'moved',
  'published',
  'archived',
  'redesigned',
  'approved',
];
const OBJECTS = [
  'the quarterly report',
  'an old bridge',
  'the search index',
  'every invoice',
  'the spring timetable',
  'a broken heater',
  'the onboarding guide',
  'the tram schedule',
  'a shared dataset',
  'the billing code',
  'the garden fence',
  'a long backlog',
  'the public survey',
  'the release notes',
  'the storage cluster',
  'the welcome email',
  'a fragile test',
  'the lunch menu',
  'the tax forms',
  'the concert programme',
  'a slow database query',
  'the harbour lights',
  'the staff rota',
  'the model weights',
];
const WHEN = [
  'on Monday',
  'before lunch',
  'last winter',
  'after the storm',
  'during the holidays',
  'at dawn',
  'in under an hour',
  'twice this month',
  'late on Friday',
  'without much fuss',
  'ahead of the deadline',
  'while it was raining',
  'for the third time',
  'in front of everyone',
  'with borrowed tools',
  'by accident',
];
const BECAUSE = [
  'because the numbers did not add up',
  'so that customers would wait less',
  'although nobody had asked for it',
  'since the old version kept failing',
  'after a long discussion about costs',
  'to make room for the new season',
  'because two suppliers changed their prices',
  'so the next team could start on time',
  'while the rest of the building slept',
  'even though the budget was tight',
  'once the results came back',
  'after several users complained',
  'because the rules changed in March',
  'so the numbers could be checked twice',
];
const THEN = [
  'then wrote a short note explaining what had changed',
  'and nobody noticed any difference at first',
  'which saved a surprising amount of time later',
  'and the queue at the front desk finally shrank',
  'but the same problem returned a week later',
  'and the whole process now takes half as long',
  'which made the next audit much easier',
  'and several people asked to see how it was done',
  'although a few details still need attention',
  'and the results were shared with every department',
];
const NUMBERS = ['two', 'three', 'four', 'five', 'seven', 'nine', 'twelve', 'fifteen', 'twenty', 'forty'];
const UNITS = ['minutes', 'hours', 'days', 'weeks', 'pages', 'servers', 'volunteers', 'tickets', 'boxes', 'trains'];

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** About 8 to 12 words. */
function shortSentence(r: Rand): string {
  return `${cap(pick(r, SUBJECTS))} ${pick(r, VERBS)} ${pick(r, OBJECTS)} ${pick(r, WHEN)}.`;
}

/** About 30 to 45 words: two clauses with a reason, a consequence and a count. */
function mediumSentence(r: Rand): string {
  return (
    `${cap(pick(r, WHEN))}, ${pick(r, SUBJECTS)} ${pick(r, VERBS)} ${pick(r, OBJECTS)} ${pick(r, BECAUSE)}, ` +
    `${pick(r, THEN)}; it took ${pick(r, NUMBERS)} ${pick(r, UNITS)} and ${pick(r, SUBJECTS)} ${pick(r, VERBS)} ` +
    `${pick(r, OBJECTS)} ${pick(r, WHEN)}.`
  );
}

/** About 110 to 140 words: a paragraph of medium sentences. */
function longSentence(r: Rand): string {
  return Array.from({ length: 3 }, () => mediumSentence(r)).join(' ');
}

const MAKERS: Record<SentenceSet, (r: Rand) => string> = {
  short: shortSentence,
  medium: mediumSentence,
  long: longSentence,
};

/** `count` distinct texts of one length class, the same for the same seed. */
export function generateSentences(set: SentenceSet, count = SENTENCES_PER_SET, seed = SENTENCE_SEED): string[] {
  const r = prng(seed ^ (set === 'short' ? 0x51 : set === 'medium' ? 0x3d : 0x7a));
  const out = new Set<string>();
  for (let tries = 0; out.size < count; tries++) {
    if (tries > count * 50) throw new Error(`cannot make ${count} distinct ${set} sentences from the word lists`);
    out.add(MAKERS[set](r));
  }
  return [...out];
}
