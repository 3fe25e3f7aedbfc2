import { ROUTE_METHOD, allowHeader } from './edge.js';
import { ERRORS } from './errors.js';
import { DEFAULT_LIMITS, ROUTES, type Limits } from './routes.js';
import { SCHEMAS, requestSchema } from './schemas.js';

const json = (schema: unknown) => ({ content: { 'application/json': { schema } } });
const errorRef = { $ref: '#/components/schemas/Error' };
const header = (description: string, schema: unknown) => ({ description, required: true, schema });

/** The edge semantics every stack implements (packages/contract/src/edge.ts), for readers of the document. */
const EDGE = `Routing is the same on every stack:
- Paths match exactly: no trailing slash (\`/hello_world/\`), doubled slash (\`//hello_world\`), case (\`/HELLO_WORLD\`) or dot-segment (\`/./hello_world\`) leniency; those are 404 NOT_FOUND. The query string is ignored. A percent-encoded unreserved character is that character (\`/hello%5Fworld\` is \`/hello_world\`, RFC 9110 4.2.3); any other escape (\`%2F\`) never matches.
- HEAD is allowed wherever GET is: the same status and headers, no body.
- OPTIONS on a documented path answers 204 with \`Allow\` (the path's methods, e.g. \`GET, HEAD, OPTIONS\` or \`OPTIONS, POST\`).
- Any other method on a documented path answers 405 METHOD_NOT_ALLOWED with the same \`Allow\` header (components.responses.MethodNotAllowed); an unknown path answers 404 NOT_FOUND (components.responses.NotFound), whatever the method.
- Every error body is {"error":{"code","message"}} with a stable contract code; no stack traces.`;

function errorResponses(codes: number[], extra: Record<number, Record<string, unknown>> = {}) {
  return Object.fromEntries(
    codes.map((status) => {
      const names = Object.entries(ERRORS)
        .filter(([, v]) => v.http === status)
        .map(([k]) => k);
      return [String(status), { description: names.join(', '), ...json(errorRef), ...extra[status] }];
    }),
  );
}

const retryAfter = {
  headers: { 'Retry-After': header('Seconds to wait before retrying (load shedding).', { type: 'string' }) },
};
const serverTiming = {
  'Server-Timing': header(
    'Layer durations in ms: `queue;dur=…, tokenize;dur=…, infer;dur=…` (tokenize: only `tokenize`).',
    {
      type: 'string',
    },
  ),
};

/** OPTIONS on a path: 204 with the path's Allow header. */
const optionsOperation = (path: string) => ({
  summary: 'The methods this path allows',
  responses: {
    '204': {
      description: 'No content; Allow lists the methods',
      headers: { Allow: header('The methods of this path.', { type: 'string', const: allowHeader(path) }) },
    },
  },
});

/** A GET route, its HEAD twin (same status and headers, no body) and OPTIONS. */
function getPath(path: string, summary: string, responses: Record<string, { description: string; content?: unknown }>) {
  const bodiless = Object.fromEntries(Object.entries(responses).map(([k, v]) => [k, { description: v.description }]));
  return {
    get: { summary, responses },
    head: { summary: `${summary} (GET without the body)`, responses: bodiless },
    options: optionsOperation(path),
  };
}

function textsPath(path: string, summary: string, responseRef: string, errors: number[]) {
  return {
    post: {
      summary,
      requestBody: { required: true, ...json({ $ref: '#/components/schemas/TextsRequest' }) },
      responses: {
        '200': { description: 'OK', headers: serverTiming, ...json({ $ref: responseRef }) },
        ...errorResponses(errors, { 429: retryAfter }),
      },
    },
    options: optionsOperation(path),
  };
}

const READY = {
  type: 'object',
  required: ['status', 'server', 'backend', 'backend_info', 'model', 'limits', 'batching'],
  properties: {
    status: { const: 'ready' },
    server: { type: 'string' },
    backend: { type: 'string' },
    backend_info: { type: 'object' },
    model: { type: 'object', required: ['name', 'seed', 'hidden_size', 'max_length', 'sha256'] },
    limits: { type: 'object', required: ['max_body_bytes', 'max_texts', 'max_text_chars'] },
    batching: {
      description:
        'The dynamic batching policy applied (maxBatchSize 1: none), or "unknown" for a proxy that cannot tell its model server\'s',
      oneOf: [
        {
          type: 'object',
          required: ['maxBatchSize', 'maxQueueDelayUs'],
          properties: {
            maxBatchSize: { type: 'integer', minimum: 1 },
            maxQueueDelayUs: { type: 'integer', minimum: 0 },
          },
        },
        { const: 'unknown' },
      ],
    },
  },
} as const;

/** The OpenAPI 3.1 document of the HTTP contract, built from the same schemas and route table the servers use. */
export function openApiDocument(limits: Limits = DEFAULT_LIMITS) {
  const paths: Record<string, Record<string, unknown>> = {
    [ROUTES.hello]: getPath(ROUTES.hello, 'Framework cost only', {
      '200': { description: 'OK', ...json(SCHEMAS.hello) },
    }),
    // tokenize never waits for the model, so it is never shed (429) and never reaches a backend (502/504).
    [ROUTES.tokenize]: textsPath(
      ROUTES.tokenize,
      'BERT WordPiece (uncased)',
      '#/components/schemas/TokenizeResponse',
      [400, 413, 415, 503],
    ),
    [ROUTES.predict]: textsPath(
      ROUTES.predict,
      'Masked-mean-pooled BERT embedding',
      '#/components/schemas/PredictResponse',
      [400, 413, 415, 429, 502, 503, 504],
    ),
    [ROUTES.healthz]: getPath(ROUTES.healthz, 'Process is alive', {
      '200': { description: 'alive', ...json(SCHEMAS.health) },
    }),
    [ROUTES.readyz]: getPath(ROUTES.readyz, 'Model loaded and backend answering', {
      '200': { description: 'ready', ...json(READY) },
      ...errorResponses([503]),
    }),
    [ROUTES.metrics]: getPath(ROUTES.metrics, 'Prometheus metrics', {
      '200': { description: 'text exposition format', content: { 'text/plain': { schema: { type: 'string' } } } },
    }),
  };
  // The document and the route table cannot drift: every route is documented with its method.
  for (const [path, method] of Object.entries(ROUTE_METHOD)) {
    if (!(method.toLowerCase() in (paths[path] ?? {}))) throw new Error(`openapi: ${method} ${path} is not documented`);
  }
  return {
    openapi: '3.1.0',
    info: { title: 'servebench BERT serving contract', version: '1.1.0', description: EDGE },
    paths,
    components: {
      schemas: {
        TextsRequest: requestSchema(limits),
        TokenizeResponse: SCHEMAS.tokenizeResponse,
        PredictResponse: SCHEMAS.predictResponse,
        Error: SCHEMAS.error,
      },
      responses: {
        MethodNotAllowed: {
          description: 'METHOD_NOT_ALLOWED: a documented path with a method it does not list',
          headers: { Allow: header('The methods of the path, as OPTIONS lists them.', { type: 'string' }) },
          ...json(errorRef),
        },
        NotFound: { description: 'NOT_FOUND: any path not documented here', ...json(errorRef) },
      },
    },
  };
}
