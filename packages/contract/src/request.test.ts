import { describe, expect, it } from 'vitest';
import { ServeError, type ErrorCode } from './errors.js';
import { isJsonContentType, parseTextsBody } from './request.js';
import { DEFAULT_LIMITS } from './routes.js';

const enc = (s: string) => new TextEncoder().encode(s);
const parse = (s: string | Uint8Array, ct = 'application/json') =>
  parseTextsBody(typeof s === 'string' ? enc(s) : s, ct, DEFAULT_LIMITS);

function codeOf(fn: () => unknown): ErrorCode | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof ServeError) return e.code;
    throw e;
  }
  return undefined;
}

describe('parseTextsBody', () => {
  it('accepts text and texts', () => {
    expect(parse('{"text":"hi"}')).toEqual({ texts: ['hi'], single: true });
    expect(parse('{"texts":["a","b"]}')).toEqual({ texts: ['a', 'b'], single: false });
    expect(parse('{"text":""}')).toEqual({ texts: [''], single: true });
  });

  it.each([
    ['{"text": ', 'INVALID_JSON'],
    ['', 'INVALID_JSON'],
    ['null', 'INVALID_REQUEST'],
    ['[]', 'INVALID_REQUEST'],
    ['"text"', 'INVALID_REQUEST'],
    ['{}', 'INVALID_REQUEST'],
    ['{"text":1}', 'INVALID_REQUEST'],
    ['{"text":null}', 'INVALID_REQUEST'],
    ['{"text":"a","texts":["b"]}', 'INVALID_REQUEST'],
    ['{"text":"a","extra":1}', 'INVALID_REQUEST'],
    ['{"texts":"a"}', 'INVALID_REQUEST'],
    ['{"texts":[1]}', 'INVALID_REQUEST'],
    ['{"texts":[]}', 'EMPTY_TEXTS'],
    [`{"texts":${JSON.stringify(Array(65).fill('a'))}}`, 'TOO_MANY_TEXTS'],
    [`{"text":"${'a'.repeat(20_001)}"}`, 'TEXT_TOO_LONG'],
    ['['.repeat(100_000), 'INVALID_JSON'],
  ] as const)('%s -> %s', (body, code) => {
    expect(codeOf(() => parse(body))).toBe(code);
  });

  it('rejects invalid UTF-8, oversized bodies and non-JSON content types', () => {
    expect(codeOf(() => parse(new Uint8Array([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x7d])))).toBe('INVALID_UTF8');
    expect(codeOf(() => parse(`{"text":"${'a'.repeat(DEFAULT_LIMITS.maxBodyBytes)}"}`))).toBe('BODY_TOO_LARGE');
    expect(codeOf(() => parse('{"text":"a"}', 'text/plain'))).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('keeps NUL and control characters as text', () => {
    expect(parse('{"text":"a\\u0000b\\u0007"}').texts).toEqual(['a\u0000b\u0007']);
  });

  it('recognises JSON content types', () => {
    expect(isJsonContentType('application/json; charset=utf-8')).toBe(true);
    expect(isJsonContentType('Application/JSON')).toBe(true);
    expect(isJsonContentType('application/problem+json')).toBe(true);
    expect(isJsonContentType('text/json')).toBe(false);
    expect(isJsonContentType(undefined)).toBe(false);
  });
});
