// Body checks. Built once per template so the hot path does no setup work.
import { isDeepStrictEqual } from 'node:util';
import type { Expectation } from './types.js';

export type BodyCheck = (body: Buffer) => boolean;

function parseJson(body: Buffer | string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(typeof body === 'string' ? body : body.toString('utf8')) };
  } catch {
    return { ok: false };
  }
}

export function compileExpectation(e: Expectation): BodyCheck {
  switch (e.kind) {
    case 'exact': {
      const bytes = Buffer.from(e.body, 'utf8');
      const parsed = parseJson(e.body);
      return (body) => {
        if (body.equals(bytes)) return true;
        // Servers may differ in whitespace or key order while returning the same JSON.
        if (!parsed.ok) return false;
        const got = parseJson(body);
        return got.ok && isDeepStrictEqual(got.value, parsed.value);
      };
    }
    case 'json': {
      // Normalise through JSON so e.g. undefined members compare like the wire form.
      const want: unknown = JSON.parse(JSON.stringify(e.value) ?? 'null');
      return (body) => {
        const got = parseJson(body);
        return got.ok && isDeepStrictEqual(got.value, want);
      };
    }
    case 'embedding': {
      const { field, values, tol } = e;
      return (body) => {
        const got = parseJson(body);
        if (!got.ok || typeof got.value !== 'object' || got.value === null) return false;
        return closeEnough((got.value as Record<string, unknown>)[field], values, tol);
      };
    }
  }
}

/** Same shape (nested arrays of numbers) and max |a-b| <= tol. */
export function closeEnough(got: unknown, want: unknown, tol: number): boolean {
  if (typeof want === 'number') return typeof got === 'number' && Math.abs(got - want) <= tol;
  if (!Array.isArray(want) || !Array.isArray(got) || got.length !== want.length) return false;
  for (let i = 0; i < want.length; i++) if (!closeEnough(got[i], want[i], tol)) return false;
  return true;
}
