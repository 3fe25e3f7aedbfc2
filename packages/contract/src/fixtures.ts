import { readFileSync } from 'node:fs';

export interface TokenizeCase {
  name: string;
  text: string;
  input_ids: number[];
}
export interface TokenizeFixtures {
  generator: string;
  vocabSha256: string;
  maxLength: number;
  cases: TokenizeCase[];
}
export type SentenceSet = 'short' | 'medium' | 'long';
export const SENTENCE_SETS: readonly SentenceSet[] = ['short', 'medium', 'long'];

// src/ and dist/ both sit one level below the package root, next to fixtures/.
const fixturePath = (name: string) => new URL(`../fixtures/${name}`, import.meta.url);

let tokenizeCache: TokenizeFixtures | undefined;
/** Golden token ids produced by Hugging Face `tokenizers` (Rust) with bert-base-uncased settings. */
export function tokenizeFixtures(): TokenizeFixtures {
  tokenizeCache ??= JSON.parse(readFileSync(fixturePath('tokenize.json'), 'utf8')) as TokenizeFixtures;
  return tokenizeCache;
}

/** The request texts for load tests, by length class. */
export function sentences(set: SentenceSet): string[] {
  const all = JSON.parse(readFileSync(fixturePath('sentences.json'), 'utf8')) as Record<SentenceSet, string[]>;
  const list = all[set];
  if (!list) throw new Error(`unknown sentence set "${set}"; expected one of ${SENTENCE_SETS.join(', ')}`);
  return list;
}
