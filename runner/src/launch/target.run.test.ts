import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { discoverServers, filterStacks, repoRoot, stacksOf } from '../discover.js';
import { PROFILES } from '../profiles.js';
import type { RunResults } from '../results.js';
import { scrapeHistogram } from '../scrape.js';
import { launchProcess, type Launched } from './process.js';

const cli = new URL('../../dist/cli.js', import.meta.url).pathname;

// A fastify+ort this test starts itself on 127.0.0.1, measured by the real CLI through --target: the
// runner verifies it like any stack, measures it, records the target, and leaves it running.
describe('servebench run --target', () => {
  it('verifies and measures an endpoint it did not start, and does not stop it', async () => {
    const [stack] = filterStacks(stacksOf(discoverServers(repoRoot())), ['fastify+ort']);
    const out = mkdtempSync(join(tmpdir(), 'servebench-target-'));
    let server: Launched | undefined;
    try {
      server = await launchProcess(stack!, {
        env: { MODEL: 'tiny', MODEL_SEED: String(PROFILES.smoke!.seed) },
        readyTimeoutMs: 60_000,
        logFile: join(out, 'server.log'),
      });
      const args = [
        cli,
        'run',
        '--profile',
        'smoke',
        '--stacks',
        'fastify+ort',
        '--target',
        `fastify+ort=${server.baseUrl}`,
        '--tasks',
        'predict',
        '--concurrency',
        '2',
        '--rounds',
        '1',
        '--no-raw',
        '--no-calibration',
        '--no-capacity',
        '--crosscheck',
        'none',
        '--cpus',
        'none',
        '--out',
        out,
        '--run-id',
        'target',
      ];
      const batches = async (): Promise<number> =>
        (await scrapeHistogram(server!.baseUrl, 'servebench_batch_size'))?.get('+Inf') ?? 0;
      const before = await batches();
      await promisify(execFile)(process.execPath, args, { maxBuffer: 1 << 24 });
      const r = JSON.parse(readFileSync(join(out, 'target', 'results.json'), 'utf8')) as RunResults;
      expect(r.settings.targets).toEqual({ 'fastify+ort': { url: server.baseUrl, remote: false } });
      expect(r.settings.allowRemote).toBeUndefined();
      expect(readFileSync(join(out, 'target', 'results.md'), 'utf8')).toContain(
        `running endpoints measured: fastify+ort at ${server.baseUrl}.`,
      );
      const s = r.stacks.find((x) => x.id === 'fastify+ort');
      expect(s?.status).toBe('ok');
      expect(s!.cells.length).toBeGreaterThan(0);
      for (const c of s!.cells) {
        expect(c.load.successes).toBeGreaterThan(0);
        expect(c.load.errors).toEqual({});
      }
      // The load went to this server: it answered at least every measured request (plus verification, warm-up).
      const measured = s!.cells.reduce((a, c) => a + c.load.successes, 0);
      expect((await batches()) - before).toBeGreaterThanOrEqual(measured);
      // Still ours and still up: the runner neither stopped nor replaced it.
      expect(server.exited()).toBeUndefined();
      expect((await fetch(new URL('/readyz', server.baseUrl))).status).toBe(200);
    } finally {
      await server?.stop();
    }
  }, 180_000);
});
