import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openApiDocument } from './openapi.js';
import { ROUTES } from './routes.js';

describe('openapi.json', () => {
  it('is exactly what the schemas generate (run scripts/write-openapi.ts after changing them)', () => {
    const committed = JSON.parse(readFileSync(new URL('../openapi.json', import.meta.url), 'utf8')) as unknown;
    expect(committed).toEqual(openApiDocument());
  });
  it('documents every route', () => {
    expect(Object.keys(openApiDocument().paths).sort()).toEqual(Object.values(ROUTES).sort());
  });
});
