import { DEFAULT_LIMITS, type Limits } from './routes.js';

/** JSON Schemas (draft 2020-12 subset, as used by OpenAPI 3.1) of every body in the contract. */
export function requestSchema(limits: Limits = DEFAULT_LIMITS) {
  const text = { type: 'string', maxLength: limits.maxTextChars } as const;
  return {
    oneOf: [
      { type: 'object', required: ['text'], properties: { text }, additionalProperties: false },
      {
        type: 'object',
        required: ['texts'],
        properties: { texts: { type: 'array', items: text, minItems: 1, maxItems: limits.maxTexts } },
        additionalProperties: false,
      },
    ],
  } as const;
}

const ids = { type: 'array', items: { type: 'integer', minimum: 0 } } as const;
const encoding = {
  type: 'object',
  required: ['input_ids', 'attention_mask', 'token_type_ids'],
  properties: { input_ids: ids, attention_mask: ids, token_type_ids: ids },
} as const;
const vector = { type: 'array', items: { type: 'number' } } as const;

export const SCHEMAS = {
  hello: {
    type: 'object',
    required: ['Hello'],
    properties: { Hello: { const: 'World' } },
  },
  tokenizeResponse: {
    oneOf: [
      encoding,
      { type: 'object', required: ['results'], properties: { results: { type: 'array', items: encoding } } },
    ],
  },
  predictResponse: {
    oneOf: [
      { type: 'object', required: ['embedding'], properties: { embedding: vector } },
      { type: 'object', required: ['embeddings'], properties: { embeddings: { type: 'array', items: vector } } },
    ],
  },
  error: {
    type: 'object',
    required: ['error'],
    properties: {
      error: {
        type: 'object',
        required: ['code', 'message'],
        properties: { code: { type: 'string' }, message: { type: 'string' } },
      },
    },
  },
  health: { type: 'object', required: ['status'], properties: { status: { type: 'string' } } },
} as const;
