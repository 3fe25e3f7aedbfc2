import { ROUTES } from './routes.js';

/**
 * The routing edge of the HTTP contract, decided once for every stack (documented in openapi.json):
 * - A path matches a route only exactly: no trailing-slash, double-slash, case or dot-segment leniency.
 *   The query string (and a stray fragment) is ignored, and percent-encoded unreserved characters (`%5F` for `_`) are the
 *   characters themselves (RFC 9110 4.2.3); any other escape (`%2F`) stays what it is and never matches.
 * - HEAD is allowed wherever GET is: the same status and headers, no body.
 * - OPTIONS on a route answers 204 with `Allow`; a known path with another method answers
 *   405 METHOD_NOT_ALLOWED with the same `Allow`; anything else is 404 NOT_FOUND.
 */
export type RouteMethod = 'GET' | 'POST';

/** The one method each contract route serves (HEAD and OPTIONS come with it, see allowedMethods). */
export const ROUTE_METHOD: Readonly<Record<string, RouteMethod>> = Object.freeze({
  [ROUTES.hello]: 'GET',
  [ROUTES.tokenize]: 'POST',
  [ROUTES.predict]: 'POST',
  [ROUTES.healthz]: 'GET',
  [ROUTES.readyz]: 'GET',
  [ROUTES.metrics]: 'GET',
});

/** Methods a route answers, in the order of the `Allow` header (alphabetical); undefined for unknown paths. */
export function allowedMethods(path: string): readonly string[] | undefined {
  const m = Object.hasOwn(ROUTE_METHOD, path) ? ROUTE_METHOD[path] : undefined;
  if (m === undefined) return undefined;
  return m === 'GET' ? ['GET', 'HEAD', 'OPTIONS'] : ['OPTIONS', 'POST'];
}

/** The `Allow` header of a route (`GET, HEAD, OPTIONS` or `OPTIONS, POST`); undefined for unknown paths. */
export const allowHeader = (path: string): string | undefined => allowedMethods(path)?.join(', ');

const UNRESERVED = /%([46][1-9A-Fa-f]|[57][0-9Aa]|3[0-9]|2[DEde]|5[Ff]|7[Ee])/g;

/** Decodes percent-encoded unreserved characters (`%5F` -> `_`) and leaves every other escape as it is. */
export const decodeUnreserved = (s: string): string =>
  s.includes('%') ? s.replace(UNRESERVED, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))) : s;

/** The path of a request target as routes are matched: query (and a stray `#...`) dropped, unreserved escapes decoded. */
export function canonicalPath(target: string): string {
  const end = target.search(/[?#]/);
  return decodeUnreserved(end === -1 ? target : target.slice(0, end));
}

/** What a request no route handler took gets: 204 for OPTIONS on a route, 405 for another method, else 404. */
export type Unrouted = { kind: 'options'; allow: string } | { kind: 'method'; allow: string } | { kind: 'missing' };

export function classifyUnrouted(method: string, target: string): Unrouted {
  const allow = allowHeader(canonicalPath(target));
  if (allow === undefined) return { kind: 'missing' };
  return method.toUpperCase() === 'OPTIONS' ? { kind: 'options', allow } : { kind: 'method', allow };
}
