import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { discoverServers, repoRoot, stacksOf } from '@servebench/runner/discover';
import { launchProcess } from '@servebench/runner/launch';
import { describe, expect, it } from 'vitest';

// schemathesis, an independent OpenAPI fuzzer, runs every check it has against every HTTP stack
// (MODEL=tiny, 127.0.0.1, port 0) with packages/contract/openapi.json: status codes, headers,
// content types and bodies against the document, undeclared methods (405 + Allow), bodies the schema
// rejects or accepts. Bounded and seeded, so a run reproduces; it must find nothing.
const workspace = fileURLToPath(new URL('..', import.meta.url));
const bin = join(workspace, '.venv', 'bin', 'schemathesis');
const openapi = join(repoRoot(), 'packages', 'contract', 'openapi.json');
const SEED = '19';
const MAX_EXAMPLES = '8';

const unavailableFile = join(workspace, '.venv', 'UNAVAILABLE');
const missing = existsSync(bin)
  ? undefined
  : existsSync(unavailableFile)
    ? readFileSync(unavailableFile, 'utf8').trim()
    : `${bin} is not installed; run npm run build -w packages/schemathesis`;
// In CI a missing schemathesis is a failure, never a silent skip.
const skip = missing !== undefined && process.env.CI !== 'true';
if (skip) console.warn(`schemathesis tests skipped: ${missing}`);

const stacks = stacksOf(discoverServers(repoRoot())).filter(
  (s) =>
    s.server.protocol === 'http' && s.backend === (s.server.backends.includes('ort') ? 'ort' : s.server.backends[0]),
);
const logs = mkdtempSync(join(tmpdir(), 'servebench-schemathesis-'));

function schemathesis(baseUrl: string): Promise<{ code: number | null; output: string }> {
  const args = ['run', openapi, '--url', baseUrl, '--checks', 'all', '--max-examples', MAX_EXAMPLES, '--seed', SEED];
  const extra = ['--generation-database', 'none', '--request-timeout', '20', '--no-color', '--workers', '1'];
  return new Promise((resolve, reject) => {
    const child = spawn(bin, [...args, ...extra], { cwd: logs, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, output }));
  });
}

describe.skipIf(skip)('schemathesis --checks all against openapi.json', () => {
  it('has schemathesis installed (the build installs it from requirements.txt)', () => {
    expect(missing, missing).toBeUndefined();
  });

  it.each(stacks.map((s) => [s.id, s] as const))(
    '%s: no failures',
    async (id, stack) => {
      const server = await launchProcess(stack, {
        env: { MODEL: 'tiny' },
        readyTimeoutMs: 90_000,
        logFile: join(logs, `${id}.log`),
      });
      try {
        const { code, output } = await schemathesis(server.baseUrl);
        expect(code, `schemathesis found problems on ${id} (seed ${SEED}):\n${output.slice(-6000)}`).toBe(0);
      } finally {
        await server.stop();
      }
    },
    180_000,
  );
});
