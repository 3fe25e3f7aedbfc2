import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './discover.js';
import { tritonNotInstalled } from './launch/modelserver.js';
import type { RunResults } from './results.js';

const cli = new URL('../dist/cli.js', import.meta.url).pathname;

/** PIDs of live processes whose environment carries `tag` (the runner's children inherit it). */
function tagged(tag: string): number[] {
  const pids: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${d}/environ`, 'latin1').includes(tag)) pids.push(Number(d));
    } catch {
      // gone, or not ours
    }
  }
  return pids;
}

async function until(what: string, fn: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Starts a smoke run of one stack and resolves once its first measured cell is on disk. */
async function startRun(out: string, tag: string, stack = 'express') {
  const child = spawn(
    process.execPath,
    [cli, 'run', '--profile', 'smoke', '--stacks', stack, '--no-raw', '--out', out, '--run-id', 'r'],
    {
      env: { ...process.env, SERVEBENCH_TEST_TAG: tag },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((r) =>
    child.on('exit', (code, signal) => r(code ?? (signal ? 128 : null))),
  );
  // Every round starts with the calibration references (bare node:http, runtime ceilings): allow for them on a busy machine.
  await until('the first cell', () => /hello_world c=1:/.test(err), 90_000);
  return { child, exited, stderr: () => err };
}

const read = (out: string) => JSON.parse(readFileSync(join(out, 'r', 'results.json'), 'utf8')) as RunResults;

describe('runner interruption', () => {
  it('on SIGINT stops its servers, leaves valid JSON with the finished cells, and --resume completes the run', async () => {
    const out = mkdtempSync(join(tmpdir(), 'servebench-int-'));
    const tag = `sigint-${process.pid}-${Date.now()}`;
    const run = await startRun(out, tag);
    expect(tagged(tag).length).toBeGreaterThanOrEqual(2); // the runner and its server
    run.child.kill('SIGINT');
    expect(await run.exited).not.toBe(0);
    await until('no child left', () => tagged(tag).length === 0, 10_000);

    const partial = read(out);
    expect(partial.status).toBe('running');
    const kept = partial.stacks.find((s) => s.id === 'express+ort')!.cells;
    expect(kept.length).toBeGreaterThanOrEqual(1);

    const resume = spawn(process.execPath, [cli, 'run', '--resume', 'r', '--stacks', 'express', '--out', out], {
      stdio: 'ignore',
    });
    expect(await new Promise((r) => resume.on('exit', r))).toBe(0);
    const done = read(out);
    expect(done.status).toBe('complete');
    const cells = done.stacks.find((s) => s.id === 'express+ort')!.cells;
    expect(cells).toHaveLength(6);
    // Measured rounds are kept, not re-measured; the resumed run adds the missing rounds.
    expect(cells[0]!.rounds[0]).toEqual(kept[0]!.rounds[0]);
    for (const c of cells) expect(c.rounds.map((r) => r.round)).toEqual([0, 1]);
  }, 240_000);

  // fastify+triton-http also leaves a model server behind (serve.py, tritonserver, its backend stubs).
  const stacks = ['express', 'flask', ...(tritonNotInstalled(repoRoot()) ? [] : ['fastify+triton-http'])];
  it.each(stacks)(
    'on SIGKILL of the runner every process of its %s stack still stops by itself',
    async (stack) => {
      const out = mkdtempSync(join(tmpdir(), 'servebench-kill-'));
      const tag = `sigkill-${process.pid}-${Date.now()}`;
      const run = await startRun(out, tag, stack);
      // The runner and the server; with Triton also serve.py, tritonserver and its backend stub.
      expect(tagged(tag).length).toBeGreaterThanOrEqual(stack.includes('triton') ? 5 : 2);
      run.child.kill('SIGKILL');
      await run.exited;
      await until('the orphaned server to stop', () => tagged(tag).length === 0, 15_000);
      // Some stack's first cell is on disk (which stack goes first is the round's shuffle).
      expect(read(out).stacks.some((s) => s.cells.length >= 1)).toBe(true);
    },
    150_000,
  );
});
