// Regenerates openapi.json from the schemas (the committed copy is what schemathesis and users read).
import { writeFileSync } from 'node:fs';
import { openApiDocument } from '../src/openapi.js';

writeFileSync(new URL('../openapi.json', import.meta.url), `${JSON.stringify(openApiDocument(), null, 2)}\n`);
