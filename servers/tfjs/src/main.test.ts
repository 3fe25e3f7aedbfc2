// main.ts as a process: the runner relies on its exit status and log lines.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * Runs src/main.ts until it exits, or until it listens and /readyz answers, then SIGTERM. The probe
 * also waits out the moment between the listening line and runServer's SIGTERM handler.
 */
function runMain(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const base: Record<string, string | undefined> = { ...process.env, MODEL: 'tiny', HOST: '127.0.0.1', PORT: '0' };
  delete base.BACKEND;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    env: { ...base, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let probing = false;
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
    const url = /"event":"listening".*?"url":"([^"]+)"/.exec(stdout)?.[1];
    if (url && !probing) {
      probing = true;
      void fetch(`${url}/readyz`)
        .then((r) => r.arrayBuffer())
        .catch(() => undefined)
        .then(() => child.kill('SIGTERM'));
    }
  });
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

describe('tfjs main', () => {
  it('exits 78 with the missing package named when BACKEND=tfjs-node cannot load', async () => {
    const r = await runMain({ BACKEND: 'tfjs-node' });
    expect(r.code).toBe(78);
    expect(r.stderr).toMatch(/@tensorflow\/tfjs-node\b.*not installed/);
  }, 60_000);

  it('defaults to tfjs (auto) and logs the runtime it picked before listening', async () => {
    const r = await runMain({});
    expect(r.code).toBe(0);
    const events = r.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, string>);
    const runtime = events.find((e) => e.event === 'backend_runtime');
    expect(runtime?.backend).toBe('tfjs');
    expect(runtime?.runtime).toMatch(/^tfjs-(wasm|node) /);
    expect(events.findIndex((e) => e.event === 'backend_runtime')).toBeLessThan(
      events.findIndex((e) => e.event === 'listening'),
    );
  }, 60_000);
});
