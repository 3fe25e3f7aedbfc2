import { ServeError } from './errors.js';
import type { Limits } from './routes.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** True when a Content-Type header names JSON (`application/json`, `application/x+json`, any parameters). */
export function isJsonContentType(value: string | undefined): boolean {
  if (!value) return false;
  const type = value.split(';', 1)[0]!.trim().toLowerCase();
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

/**
 * Turns a raw request body into the list of texts it carries, enforcing the schema in schemas.ts
 * and the limits. `single` tells whether the request used `text` (so the answer is unwrapped).
 */
export function parseTextsBody(
  raw: Uint8Array,
  contentType: string | undefined,
  limits: Limits,
): { texts: string[]; single: boolean } {
  if (!isJsonContentType(contentType)) {
    throw new ServeError('UNSUPPORTED_MEDIA_TYPE', 'Content-Type must be application/json');
  }
  if (raw.byteLength > limits.maxBodyBytes) {
    throw new ServeError('BODY_TOO_LARGE', `body exceeds ${limits.maxBodyBytes} bytes`);
  }
  let source: string;
  try {
    source = utf8.decode(raw);
  } catch {
    throw new ServeError('INVALID_UTF8', 'body is not valid UTF-8');
  }
  let body: unknown;
  try {
    body = JSON.parse(source);
  } catch {
    // Also covers RangeError from absurdly deep nesting.
    throw new ServeError('INVALID_JSON', 'body is not valid JSON');
  }
  return validateTexts(body, limits);
}

export function validateTexts(body: unknown, limits: Limits): { texts: string[]; single: boolean } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ServeError('INVALID_REQUEST', 'body must be a JSON object with "text" or "texts"');
  }
  const keys = Object.keys(body);
  const o = body as Record<string, unknown>;
  if (keys.length !== 1 || !(keys[0] === 'text' || keys[0] === 'texts')) {
    throw new ServeError('INVALID_REQUEST', 'body must have exactly one field: "text" (string) or "texts" (string[])');
  }
  if (keys[0] === 'text') {
    const text = o.text;
    if (typeof text !== 'string') throw new ServeError('INVALID_REQUEST', '"text" must be a string');
    checkLength(text, 'text', limits);
    return { texts: [text], single: true };
  }
  const texts = o.texts;
  if (!Array.isArray(texts)) throw new ServeError('INVALID_REQUEST', '"texts" must be an array of strings');
  if (texts.length === 0) throw new ServeError('EMPTY_TEXTS', '"texts" must not be empty');
  if (texts.length > limits.maxTexts) {
    throw new ServeError('TOO_MANY_TEXTS', `"texts" has ${texts.length} items; the limit is ${limits.maxTexts}`);
  }
  for (let i = 0; i < texts.length; i++) {
    const t: unknown = texts[i];
    if (typeof t !== 'string') throw new ServeError('INVALID_REQUEST', `"texts[${i}]" must be a string`);
    checkLength(t, `texts[${i}]`, limits);
  }
  return { texts: texts as string[], single: false };
}

function checkLength(text: string, where: string, limits: Limits): void {
  if (text.length > limits.maxTextChars) {
    throw new ServeError(
      'TEXT_TOO_LONG',
      `"${where}" has ${text.length} characters; the limit is ${limits.maxTextChars}`,
    );
  }
}
