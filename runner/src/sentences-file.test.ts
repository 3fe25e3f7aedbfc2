import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSentences, readSentencesFile } from './sentences-file.js';
import { resolveSettings } from './settings.js';

const dir = mkdtempSync(join(tmpdir(), 'servebench-sentences-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

describe('--sentences file:PATH', () => {
  it('reads plain text (one per non-empty line) and JSONL (strings or {"text"})', () => {
    const txt = file('a.txt', 'first one\n\nsecond one\r\n');
    expect(readSentencesFile(`file:${txt}`)).toEqual(['first one', 'second one']);
    const jl = file('b.jsonl', '"plain string"\n{"text": "from an object", "id": 3}\n\n');
    expect(loadSentences(`file:${jl}`)).toEqual(['plain string', 'from an object']);
    expect(loadSentences('short').length).toBeGreaterThan(100);
  });

  it('names the file and line of a bad entry, and refuses an empty file', () => {
    const bad = file('c.jsonl', '"ok"\n{"text": 5}\n');
    expect(() => readSentencesFile(`file:${bad}`)).toThrow(/c\.jsonl:2: expected a JSON string or an object/);
    const notJson = file('d.jsonl', '{oops\n');
    expect(() => readSentencesFile(`file:${notJson}`)).toThrow(/d\.jsonl:1: not JSON/);
    expect(() => readSentencesFile(`file:${file('e.txt', '\n\n')}`)).toThrow(/e\.txt: no sentences/);
    expect(() => readSentencesFile(`file:${join(dir, 'missing.txt')}`)).toThrow(/cannot read/);
  });

  it('is accepted by the run settings as an absolute path, and checked up front', () => {
    const txt = file('f.txt', 'hello\n');
    expect(resolveSettings({ sentences: `file:${txt}` }).sentences).toBe(`file:${txt}`);
    expect(() => resolveSettings({ sentences: `file:${join(dir, 'nope.txt')}` })).toThrow(/--sentences file:/);
    expect(() => resolveSettings({ sentences: 'huge' })).toThrow(/sentences/);
  });
});
