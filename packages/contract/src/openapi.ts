import { ERRORS } from './errors.js';
import { DEFAULT_LIMITS, ROUTES, type Limits } from './routes.js';
import { SCHEMAS, requestSchema } from './schemas.js';

const json = (schema: unknown) => ({ content: { 'application/json': { schema } } });
const errorRef = { $ref: '#/components/schemas/Error' };

function errorResponses(codes: number[]) {
  return Object.fromEntries(
    codes.map((status) => {
      const names = Object.entries(ERRORS)
        .filter(([, v]) => v.http === status)
        .map(([k]) => k);
      return [String(status), { description: names.join(', '), ...json(errorRef) }];
    }),
  );
}

function textsOperation(summary: string, responseRef: string) {
  return {
    post: {
      summary,
      requestBody: { required: true, ...json({ $ref: '#/components/schemas/TextsRequest' }) },
      responses: {
        '200': { description: 'OK', ...json({ $ref: responseRef }) },
        ...errorResponses([400, 413, 415, 429, 502, 503, 504]),
      },
    },
  };
}

/** The OpenAPI 3.1 document of the HTTP contract, built from the same schemas the servers enforce. */
export function openApiDocument(limits: Limits = DEFAULT_LIMITS) {
  return {
    openapi: '3.1.0',
    info: { title: 'servebench BERT serving contract', version: '1.0.0' },
    paths: {
      [ROUTES.hello]: {
        get: { summary: 'Framework cost only', responses: { '200': { description: 'OK', ...json(SCHEMAS.hello) } } },
      },
      [ROUTES.tokenize]: textsOperation('BERT WordPiece (uncased)', '#/components/schemas/TokenizeResponse'),
      [ROUTES.predict]: textsOperation('Masked-mean-pooled BERT embedding', '#/components/schemas/PredictResponse'),
      [ROUTES.healthz]: {
        get: { summary: 'Process is alive', responses: { '200': { description: 'alive', ...json(SCHEMAS.health) } } },
      },
      [ROUTES.readyz]: {
        get: {
          summary: 'Model loaded and backend answering',
          responses: { '200': { description: 'ready', ...json({ type: 'object' }) }, ...errorResponses([503]) },
        },
      },
      [ROUTES.metrics]: {
        get: {
          summary: 'Prometheus metrics',
          responses: {
            '200': { description: 'text exposition format', content: { 'text/plain': { schema: { type: 'string' } } } },
          },
        },
      },
    },
    components: {
      schemas: {
        TextsRequest: requestSchema(limits),
        TokenizeResponse: SCHEMAS.tokenizeResponse,
        PredictResponse: SCHEMAS.predictResponse,
        Error: SCHEMAS.error,
      },
    },
  };
}
