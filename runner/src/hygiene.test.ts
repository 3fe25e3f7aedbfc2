import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { machineLeaks, scrubLogs, scrubText, scrubValue } from './hygiene.js';

const ids = { root: '/home/alice/src/servebench', home: '/home/alice', host: 'build-box-7' };

describe('scrubText / scrubValue', () => {
  it('replaces the checkout, then the home directory, then the hostname', () => {
    expect(scrubText('model_repository=/home/alice/src/servebench/models/triton/mini-s0', ids)).toBe(
      'model_repository=./models/triton/mini-s0',
    );
    expect(scrubText('cache in /home/alice/.cache/uv on build-box-7', ids)).toBe('cache in ~/.cache/uv on <host>');
    expect(scrubText('/home/alicex stays', ids)).toBe('/home/alicex stays');
  });
  it('walks nested values and leaves numbers alone', () => {
    const v = { a: ['/home/alice/src/servebench/x', 3], b: { c: 'build-box-7', d: true } };
    expect(scrubValue(v, ids)).toEqual({ a: ['./x', 3], b: { c: '<host>', d: true } });
    expect(v.a[0]).toBe('/home/alice/src/servebench/x'); // a copy
  });
});

describe('machineLeaks', () => {
  it('finds what is left, and nothing in scrubbed text', () => {
    const text = JSON.stringify({ p: '/home/alice/src/servebench/models', hostname: 'build-box-7' });
    expect(machineLeaks(text, ids)).toHaveLength(4);
    expect(machineLeaks(scrubText(text, ids), ids)).toEqual([]);
    // A short hostname is only a leak as a whole JSON value.
    expect(machineLeaks('{"hostname":"vm"}', { ...ids, host: 'vm' })).toEqual(['hostname "vm" as a value']);
    expect(machineLeaks('{"x":"nvme vm"}', { ...ids, host: 'vm' })).toEqual([]);
  });
});

describe('scrubLogs', () => {
  it('rewrites log files that name the machine', () => {
    const dir = mkdtempSync(join(tmpdir(), 'servebench-hygiene-'));
    mkdirSync(join(dir, 'logs'));
    writeFileSync(join(dir, 'logs', 'a.log'), 'loading /home/alice/src/servebench/models/x.onnx\n');
    scrubLogs(dir, ids);
    expect(readFileSync(join(dir, 'logs', 'a.log'), 'utf8')).toBe('loading ./models/x.onnx\n');
  });
});

describe('updateResultsPage', () => {
  it('scrubs the checkout path out of what it writes (an older run may carry it)', async () => {
    const { updateResultsPage, BEGIN, END } = await import('./render/results-page.js');
    const dir = mkdtempSync(join(tmpdir(), 'servebench-readme-'));
    const page = join(dir, 'docs', 'results.md');
    mkdirSync(join(dir, 'docs'));
    writeFileSync(page, `# x\n${BEGIN}\nold\n${END}\n`);
    updateResultsPage(dir, `model_repository=${dir}/models/triton/mini-s0`);
    const text = readFileSync(page, 'utf8');
    expect(text).toContain('model_repository=./models/triton/mini-s0');
    expect(text).not.toContain(dir);
  });
});
