// Placement in a run: the runner (load engine) pins itself to the load set; every server the run
// launches is started under taskset on the server set, read back, and failed if anything escaped.
import type { LaunchedStack, Launcher } from '../launch/types.js';
import { LaunchError } from '../launch/types.js';
import { describeEscape, pinProcess, requireTaskset, treeAffinity, type ProcessAffinity } from './affinity.js';
import { formatCpuList, type Placement } from './cpus.js';

/** What a stack ran on, recorded in its results entry. */
export interface StackPlacement {
  applied: boolean;
  /** Why not, when not applied. */
  reason?: string;
  server?: string;
  load?: string;
  /** Read back from /proc right after the stack was ready: every process of its tree(s). */
  processes?: ProcessAffinity[];
}

const placed = new WeakMap<LaunchedStack, StackPlacement>();

/** The placement read back for a launched stack (absent: it was not launched through placeLaunches). */
export function placementOf(server: LaunchedStack): StackPlacement | undefined {
  return placed.get(server);
}

/** Pins this process (the load engine; its worker threads start later and inherit) to the load set. */
export function pinRunner(p: Placement | null): void {
  if (!p) return;
  requireTaskset();
  pinProcess(process.pid, p.load);
}

/**
 * Wraps a launcher: the stack starts under `taskset -c <server set>` (model servers too), and once it
 * is ready every process and thread of its tree is read back; one allowed outside the set fails the
 * stack (stopped, LaunchError with the escaped processes). Compose containers get the server set as their
 * cpuset (read back the same way, through their host pids); k8s pods are placed by the scheduler (recorded).
 */
export function placeLaunches(p: Placement | null, launcher: 'process' | 'compose' | 'k8s'): (l: Launcher) => Launcher {
  return (launch) => async (stack, opts) => {
    if (!p) {
      const server = await launch(stack, opts);
      placed.set(server, { applied: false, reason: '--cpus none' });
      return server;
    }
    if (launcher === 'k8s') {
      const server = await launch(stack, opts);
      placed.set(server, {
        applied: false,
        reason:
          'k8s pods are placed by the scheduler (requests = limits, anti-affinity to the agents), not pinned here',
        load: formatCpuList(p.load),
      });
      return server;
    }
    // Processes start under taskset; compose containers get the set as their cgroup cpuset. Both are read back.
    const server = await launch(stack, { ...opts, cpus: p.server });
    const tree = treeAffinity(server.pids?.() ?? [server.pid], p.server);
    if (tree.escaped.length) {
      await server.stop();
      throw new LaunchError('spawn', `${stack.id}: ${describeEscape(tree)}`);
    }
    placed.set(server, {
      applied: true,
      server: formatCpuList(p.server),
      load: formatCpuList(p.load),
      processes: tree.processes,
    });
    return server;
  };
}
