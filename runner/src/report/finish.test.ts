import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { leadResultsMd } from './finish.js';

describe('leadResultsMd', () => {
  it('puts the decision table first, once, however often it is re-rendered', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'servebench-md-')), 'results.md');
    writeFileSync(file, '# servebench results\n\n| matrix |\n');
    leadResultsMd(file, '| capacity v1 |');
    leadResultsMd(file, '| capacity v2 |');
    expect(readFileSync(file, 'utf8')).toBe(
      '# servebench results\n\n## Capacity at the SLO\n\n| capacity v2 |\n\n## Concurrency matrix\n\n| matrix |\n',
    );
    leadResultsMd(file, '');
    expect(readFileSync(file, 'utf8')).toMatch(/capacity v2/);
  });
});
