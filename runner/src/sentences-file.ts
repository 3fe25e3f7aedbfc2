// `--sentences file:PATH`: the run's request texts from a file, like perf_analyzer's --input-data.
// A .jsonl file holds one JSON string, or one object with a string "text", per line; any other file
// is plain text, one sentence per non-empty line. The built-in sets stay `short|medium|long`.
import { readFileSync } from 'node:fs';
import { sentences, type SentenceSet } from '@servebench/contract';

export const FILE_PREFIX = 'file:';
/** Bounds that keep a run's workload (and its oracle pass) reasonable; MAX_TEXT_CHARS' default. */
export const MAX_FILE_TEXTS = 100_000;
export const MAX_TEXT_CHARS = 20_000;

export class SentencesFileError extends Error {}

export function isSentencesFile(spec: string): spec is `file:${string}` {
  return spec.startsWith(FILE_PREFIX);
}

/** The texts of a `file:PATH` spec; throws SentencesFileError naming the file and line. */
export function readSentencesFile(spec: `file:${string}`): string[] {
  const path = spec.slice(FILE_PREFIX.length);
  let raw: string;
  try {
    raw = readFileSync(path, 'utf8');
  } catch (e) {
    throw new SentencesFileError(`--sentences ${spec}: cannot read ${path}: ${(e as Error).message}`);
  }
  const jsonl = path.endsWith('.jsonl');
  const texts: string[] = [];
  raw.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let text: unknown = line.replace(/\r$/, '');
    if (jsonl) {
      try {
        const v = JSON.parse(line) as unknown;
        text = typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as { text?: unknown }).text : v;
      } catch (e) {
        throw new SentencesFileError(`${path}:${i + 1}: not JSON (${(e as Error).message})`);
      }
      if (typeof text !== 'string') {
        throw new SentencesFileError(`${path}:${i + 1}: expected a JSON string or an object with a string "text"`);
      }
    }
    const t = text as string;
    if (t.length === 0 || t.length > MAX_TEXT_CHARS) {
      throw new SentencesFileError(`${path}:${i + 1}: a text must have 1 to ${MAX_TEXT_CHARS} characters`);
    }
    texts.push(t);
  });
  if (texts.length === 0) throw new SentencesFileError(`${path}: no sentences`);
  if (texts.length > MAX_FILE_TEXTS) {
    throw new SentencesFileError(`${path}: ${texts.length} sentences, at most ${MAX_FILE_TEXTS}`);
  }
  return texts;
}

/** A built-in set or a `file:PATH`. */
export function loadSentences(spec: SentenceSet | `file:${string}`): string[] {
  return isSentencesFile(spec) ? readSentencesFile(spec) : sentences(spec);
}
