import assert from 'node:assert/strict';
import { ROUTE_METHOD, allowedMethods } from '../edge.js';
import { openApiDocument } from '../openapi.js';
import { ROUTES } from '../routes.js';
import { judge, sendCase, type AbuseCase } from './abuse.js';
import type { Check } from './checks.js';

const json = '{"text":"a"}';

/**
 * The routing edge (packages/contract/src/edge.ts) as requests and their one allowed answer. The
 * Allow header of every 405 and 204 is checked against the contract by judge().
 */
export function edgeCases(): AbuseCase[] {
  const h = ROUTES.hello;
  return [
    {
      name: 'PUT /predict',
      method: 'PUT',
      path: ROUTES.predict,
      body: json,
      status: [405],
      codes: ['METHOD_NOT_ALLOWED'],
    },
    { name: 'POST /hello_world', method: 'POST', path: h, body: json, status: [405], codes: ['METHOD_NOT_ALLOWED'] },
    { name: 'GET /predict', method: 'GET', path: ROUTES.predict, status: [405], codes: ['METHOD_NOT_ALLOWED'] },
    {
      name: 'PATCH /tokenize',
      method: 'PATCH',
      path: ROUTES.tokenize,
      body: json,
      status: [405],
      codes: ['METHOD_NOT_ALLOWED'],
    },
    { name: 'DELETE /metrics', method: 'DELETE', path: ROUTES.metrics, status: [405], codes: ['METHOD_NOT_ALLOWED'] },
    { name: 'TRACE /hello_world', method: 'TRACE', path: h, status: [405], codes: ['METHOD_NOT_ALLOWED'] },
    { name: 'QUERY /tokenize', method: 'QUERY', path: ROUTES.tokenize, status: [405], codes: ['METHOD_NOT_ALLOWED'] },
    { name: 'HEAD /hello_world', method: 'HEAD', path: h, status: [200] },
    { name: 'HEAD /readyz', method: 'HEAD', path: ROUTES.readyz, status: [200] },
    { name: 'HEAD /predict', method: 'HEAD', path: ROUTES.predict, status: [405] },
    { name: 'HEAD /no_such_route', method: 'HEAD', path: '/no_such_route', status: [404] },
    { name: 'OPTIONS /predict', method: 'OPTIONS', path: ROUTES.predict, status: [204] },
    { name: 'OPTIONS /hello_world', method: 'OPTIONS', path: h, status: [204] },
    { name: 'OPTIONS /no_such_route', method: 'OPTIONS', path: '/no_such_route', status: [404], codes: ['NOT_FOUND'] },
    { name: 'GET /hello_world/', method: 'GET', path: `${h}/`, status: [404], codes: ['NOT_FOUND'] },
    { name: 'GET //hello_world', method: 'GET', path: `/${h}`, status: [404], codes: ['NOT_FOUND'] },
    {
      name: 'POST /predict/',
      method: 'POST',
      path: `${ROUTES.predict}/`,
      body: json,
      status: [404],
      codes: ['NOT_FOUND'],
    },
    { name: 'GET /HELLO_WORLD', method: 'GET', path: h.toUpperCase(), status: [404], codes: ['NOT_FOUND'] },
    { name: 'GET /./hello_world', method: 'GET', path: `/.${h}`, status: [404], codes: ['NOT_FOUND'] },
    { name: 'GET /%2Fhello_world', method: 'GET', path: `/%2F${h.slice(1)}`, status: [404], codes: ['NOT_FOUND'] },
    { name: 'GET /hello%5Fworld', method: 'GET', path: h.replace('_', '%5F'), status: [200] },
    { name: 'GET /hello_world?x=1', method: 'GET', path: `${h}?x=1`, status: [200] },
    // The absolute form, which RFC 9112 (section 3.2.2) says a server must accept; it routes by its path.
    { name: 'GET http://x/hello_world', method: 'GET', path: `http://x${h}`, status: [200] },
  ];
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE'] as const;

export const EDGE_CHECKS: readonly Check[] = [
  {
    id: 'routing edge: exact paths, HEAD like GET without a body, OPTIONS 204 + Allow, wrong method 405 + Allow',
    fast: false,
    async run({ baseUrl }) {
      const failures: string[] = [];
      for (const c of edgeCases()) {
        try {
          judge(c, await sendCase(baseUrl, c));
        } catch (e) {
          failures.push((e as Error).message);
        }
      }
      // HEAD sends GET's headers: the same content type on every GET route.
      for (const [path, method] of Object.entries(ROUTE_METHOD)) {
        if (method !== 'GET') continue;
        const [get, head] = await Promise.all(
          (['GET', 'HEAD'] as const).map((m) =>
            sendCase(baseUrl, { name: `${m} ${path}`, method: m, path, status: [] }),
          ),
        );
        if (head!.status !== get!.status || head!.contentType !== get!.contentType)
          failures.push(`HEAD ${path}: ${head!.status} ${head!.contentType}, GET ${get!.status} ${get!.contentType}`);
      }
      assert.deepEqual(failures, [], failures.join('\n'));
    },
  },
  {
    id: 'openapi.json lists exactly the paths and methods the server answers',
    fast: false,
    async run({ baseUrl }) {
      // Every method on every documented path: a documented one gets one of its documented statuses,
      // any other 405; the contract's route table and the document agree on the methods.
      const doc = openApiDocument();
      const diffs: string[] = [];
      for (const [path, item] of Object.entries(doc.paths)) {
        const documented = Object.keys(item).map((m) => m.toUpperCase());
        const routed = allowedMethods(path) ?? [];
        if ([...documented].sort().join() !== [...routed].sort().join())
          diffs.push(`${path}: the document has ${documented.join(', ')}, the route table ${routed.join(', ')}`);
        for (const method of METHODS) {
          const body = method === 'POST' || method === 'PUT' || method === 'PATCH' ? json : undefined;
          const r = await sendCase(baseUrl, { name: `${method} ${path}`, method, path, body, status: [] });
          const op = (item as Record<string, { responses: Record<string, unknown> } | undefined>)[method.toLowerCase()];
          if (op && !Object.hasOwn(op.responses, String(r.status)))
            diffs.push(
              `${method} ${path}: ${r.status} is not among its documented ${Object.keys(op.responses).join(', ')}`,
            );
          if (!op && r.status !== 405) diffs.push(`${method} ${path}: undocumented, yet answered ${r.status}`);
        }
      }
      assert.deepEqual(diffs, [], diffs.join('\n'));
    },
  },
];
