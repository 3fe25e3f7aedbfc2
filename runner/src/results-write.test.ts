import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { writeJsonAtomic } from './results.js';

vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  return { ...real, fsyncSync: vi.fn(real.fsyncSync), renameSync: vi.fn(real.renameSync) };
});

describe('writeJsonAtomic', () => {
  it('fsyncs the new file before renaming it over the old one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'servebench-results-'));
    const file = join(dir, 'results.json');
    writeJsonAtomic(file, { a: 1 });
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ a: 1 });
    const fsync = vi.mocked(fs.fsyncSync).mock.invocationCallOrder;
    const rename = vi.mocked(fs.renameSync).mock.invocationCallOrder;
    expect(fsync.length).toBeGreaterThan(0);
    expect(Math.min(...fsync)).toBeLessThan(rename[0]!);
  });

  it('on a write error (file size limit: EFBIG) throws, leaves no .tmp file and keeps the previous results', () => {
    const dir = mkdtempSync(join(tmpdir(), 'servebench-results-'));
    const file = join(dir, 'results.json');
    writeFileSync(file, '{"previous":true}\n');
    // A real failing write: a child with a 16-block file size limit (SIGXFSZ ignored, so write() fails).
    const script = `import(${JSON.stringify(new URL('./results.ts', import.meta.url).pathname)}).then((m) => {
      try { m.writeJsonAtomic(${JSON.stringify(file)}, { big: 'x'.repeat(100000) }); console.log('written'); }
      catch (e) { console.log('threw', e.code); }
    })`;
    const r = spawnSync(
      'sh',
      ['-c', `trap '' XFSZ; ulimit -f 16; exec "$0" --import tsx -e "$1"`, process.execPath, script],
      {
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    expect(r.stdout.trim(), r.stderr).toBe('threw EFBIG');
    expect(readdirSync(dir)).toEqual(['results.json']);
    expect(readFileSync(file, 'utf8')).toBe('{"previous":true}\n');
  });
});
