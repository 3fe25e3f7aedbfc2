import assert from 'node:assert/strict';
import { ServeError, type ErrorCode } from '../errors.js';
import { tokenizeFixtures } from '../fixtures.js';
import { validateTexts } from '../request.js';
import type { ReadyResponse } from '../types.js';

// What the fuzz suites (HTTP and gRPC) expect of a server, computed from the contract's own code: the
// schema and limit rules are validateTexts, exactly what every server applies, so a reply is judged
// against the rules rather than against a copy of them.

/** Stack traces, file paths and interpreter tracebacks that an error answer must never carry. */
export const LEAK = /\bat .+:\d+:\d+|Traceback|node_modules|site-packages|\/src\/|\/dist\/|\.py"/;

export type Outcome = { ok: true; texts: string[] } | { ok: false; code: ErrorCode };

/** The contract's answer to a decoded request body (`{text}` / `{texts}` / anything else). */
export function expectedOutcome(body: unknown, limits: ReadyResponse['limits']): Outcome {
  try {
    const { texts } = validateTexts(body, {
      maxBodyBytes: limits.max_body_bytes,
      maxTexts: limits.max_texts,
      maxTextChars: limits.max_text_chars,
    });
    return { ok: true, texts };
  } catch (e) {
    if (e instanceof ServeError) return { ok: false, code: e.code };
    throw e;
  }
}

/** Any thrown ServeError as an outcome, e.g. from a wire decoder. */
export function outcomeOf(f: () => string[]): Outcome {
  try {
    return { ok: true, texts: f() };
  } catch (e) {
    if (e instanceof ServeError) return { ok: false, code: e.code };
    throw e;
  }
}

let golden: Map<string, number[]> | undefined;

/**
 * Checks one text's token ids: exactly `reference(text)` when a reference tokenizer is given, exactly
 * the golden ids when the text is a fixture, and always [CLS] ... [SEP] within max_length.
 */
export async function checkTokenIds(
  text: string,
  ids: readonly number[],
  maxLength: number,
  reference?: (text: string) => Promise<number[]> | number[],
): Promise<void> {
  const what = `text ${JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text)}`;
  assert.ok(
    ids[0] === 101 && ids[ids.length - 1] === 102 && ids.length <= maxLength,
    `${what}: ${ids.slice(0, 20).join(',')}`,
  );
  golden ??= new Map(tokenizeFixtures().cases.map((c) => [c.text, c.input_ids]));
  const want = reference ? await reference(text) : golden.get(text);
  if (want)
    assert.deepEqual(ids, want, `${what}: ids differ from the ${reference ? 'reference tokenizer' : 'golden fixture'}`);
}
