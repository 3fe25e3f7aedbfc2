import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findTfServing } from './tfserving.js';

describe('TF Serving is never started listening on every interface', () => {
  it('refuses a tensorflow_model_server binary (0.0.0.0 is hard-coded), naming why', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tfs-standin-'));
    const standIn = join(dir, 'tensorflow_model_server'); // a stand-in: never run, only found on PATH
    writeFileSync(standIn, '#!/bin/sh\nexit 1\n');
    chmodSync(standIn, 0o755);
    const where = findTfServing({ PATH: dir });
    if ('image' in where) return; // a machine with a local tensorflow/serving image uses it (127.0.0.1 only)
    expect(where).not.toHaveProperty('binary');
    expect('reason' in where && where.reason).toMatch(/refused: .*every interface .*0\.0\.0\.0.*127\.0\.0\.1 only/);
  });
});
