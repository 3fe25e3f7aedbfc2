// Test helper: launch every given stack as the runner launches it (tiny model, one log file each
// under a fresh temp directory) before the file's tests, and stop them all after. Used by the
// cross-stack identity tests.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { StackSpec } from '../discover.js';
import { launchProcess, type Launched } from '../launch/process.js';

/** Registers beforeAll/afterAll hooks; the returned map (stack id -> server) fills in beforeAll. */
export function launchStacksForFile(stacks: readonly StackSpec[], logPrefix: string): Map<string, Launched> {
  const logs = mkdtempSync(join(tmpdir(), logPrefix));
  const servers = new Map<string, Launched>();
  beforeAll(async () => {
    for (const s of stacks) {
      servers.set(
        s.id,
        await launchProcess(s, { env: { MODEL: 'tiny' }, readyTimeoutMs: 90_000, logFile: join(logs, `${s.id}.log`) }),
      );
    }
  }, 300_000);
  afterAll(async () => {
    await Promise.all([...servers.values()].map((s) => s.stop()));
  });
  return servers;
}
