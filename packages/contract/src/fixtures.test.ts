// fixtures/tokenize.json is the reference output: every case is re-encoded here with the Hugging
// Face `tokenizers` bindings (Rust core) and must equal the committed ids. The generator and the
// reference loader live in scripts/ and are loaded at run time (outside this package's tsc program).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

interface TokenizeFixtures {
  generator: string;
  vocabSha256: string;
  maxLength: number;
  cases: Array<{ name: string; text: string; input_ids: number[] }>;
}
interface ReferenceModule {
  MAX_LENGTH: number;
  loadReference(): { description: string } | null;
  referenceLoadErrors: string[];
  createReferenceTokenizer(maxLength?: number): {
    description: string;
    vocabSha256: string;
    encode(text: string): Promise<number[]>;
  };
}
interface GeneratorModule {
  CASES: Array<{ name: string; text: string }>;
}
interface VocabModule {
  vocabText(): string;
  VOCAB_SHA256: string;
}

const fixtures = JSON.parse(
  readFileSync(new URL('../fixtures/tokenize.json', import.meta.url), 'utf8'),
) as TokenizeFixtures;
const load = async <T>(path: string): Promise<T> =>
  (await import(/* @vite-ignore */ new URL(path, import.meta.url).href)) as T;
const refModule = await load<ReferenceModule>('../scripts/reference.ts');
const generator = await load<GeneratorModule>('../scripts/gen-fixtures.ts');
const vocabModule = await load<VocabModule>('../../model/src/vocab.ts');
const reference = refModule.loadReference();
describe('fixtures/tokenize.json', () => {
  it('can be re-checked: the Hugging Face reference loads', () => {
    expect(reference, refModule.referenceLoadErrors.join('\n')).not.toBeNull();
  });

  it('has at least 80 uniquely named, well-formed cases', () => {
    expect(fixtures.cases.length).toBeGreaterThanOrEqual(80);
    expect(new Set(fixtures.cases.map((c) => c.name)).size).toBe(fixtures.cases.length);
    expect(fixtures.maxLength).toBe(512);
    expect(fixtures.generator).toMatch(/^tokenizers@\d+\.\d+\.\d+ \(Hugging Face, Rust/);
    for (const c of fixtures.cases) {
      expect(typeof c.text, c.name).toBe('string');
      expect(c.input_ids[0], c.name).toBe(101);
      expect(c.input_ids[c.input_ids.length - 1], c.name).toBe(102);
      expect(c.input_ids.length, c.name).toBeLessThanOrEqual(fixtures.maxLength);
      expect(
        c.input_ids.every((id) => Number.isInteger(id) && id >= 0 && id < 30522),
        c.name,
      ).toBe(true);
    }
  });

  it('covers truncation, [UNK] and the literal special tokens', () => {
    const ids = fixtures.cases.map((c) => c.input_ids);
    expect(ids.some((x) => x.length === fixtures.maxLength)).toBe(true);
    expect(ids.some((x) => x.includes(100))).toBe(true);
    expect(ids.some((x) => x.includes(103))).toBe(true);
  });

  it('holds exactly the cases that scripts/gen-fixtures.ts defines', () => {
    expect(fixtures.cases.map(({ name, text }) => ({ name, text }))).toEqual(generator.CASES);
  });

  it('was made with the model vocabulary', () => {
    const text = vocabModule.vocabText();
    expect(createHash('sha256').update(text).digest('hex')).toBe(fixtures.vocabSha256);
    expect(fixtures.vocabSha256).toBe(vocabModule.VOCAB_SHA256);
  });

  describe.skipIf(!reference)('re-encoded with Hugging Face tokenizers', () => {
    it('gives the committed input_ids for every case', async () => {
      const ref = refModule.createReferenceTokenizer(fixtures.maxLength);
      expect(ref.vocabSha256).toBe(fixtures.vocabSha256);
      const mismatches: string[] = [];
      for (const c of fixtures.cases) {
        const ids = await ref.encode(c.text);
        if (JSON.stringify(ids) !== JSON.stringify(c.input_ids)) {
          mismatches.push(`${c.name}\n  reference ${JSON.stringify(ids)}\n  fixture   ${JSON.stringify(c.input_ids)}`);
        }
      }
      expect(mismatches, `${mismatches.length} of ${fixtures.cases.length} cases differ`).toEqual([]);
    }, 60_000);

    it('names the generator that made it', () => {
      expect(fixtures.generator).toBe(reference!.description);
    });
  });
});
