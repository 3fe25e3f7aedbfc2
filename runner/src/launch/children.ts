import type { ChildProcess } from 'node:child_process';

/**
 * Every child process group the runner started. On exit, on Ctrl-C and on an uncaught error the
 * whole group is killed, so no server (or its cluster workers) outlives the runner.
 */
const live = new Set<ChildProcess>();
let installed = false;

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

export function track(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (installed) return;
  installed = true;
  process.once('exit', () => {
    for (const c of live) killGroup(c, 'SIGKILL');
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      process.stderr.write(`\nservebench: ${sig}, stopping ${live.size} child process(es)\n`);
      for (const c of live) killGroup(c, 'SIGKILL');
      process.exit(130);
    });
  }
}

/** SIGTERM, then SIGKILL after graceMs. Resolves with how the process ended. */
export function stopChild(
  child: ChildProcess,
  graceMs: number,
): Promise<{ code: number | null; signal: string | null }> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => {
    const timer = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      // Cluster workers share the group; make sure none is left behind.
      killGroup(child, 'SIGKILL');
      resolve({ code, signal });
    });
    killGroup(child, 'SIGTERM');
  });
}
