// The A/A control: one stack launched a second time as an independent participant (its own process, its own
// place in the rotation, its own capacity search). The two measure the same code, so their ratio is the run's
// noise floor: a difference between two stacks smaller than the twins' is not a difference this run can show.
import type { StackSpec } from '../discover.js';

export const TWIN_SUFFIX = '~twin';

export const twinId = (id: string): string => `${id}${TWIN_SUFFIX}`;

/** The twin's spec: the same server and backend under its own id (its own logs, results and turns). */
export const twinSpec = (stack: StackSpec): StackSpec => ({ ...stack, id: twinId(stack.id) });

/**
 * Inserts `twin` half the list away from the participant `siblingId`, so that the rotation never measures the
 * two back to back in the same order: what drift separates them is what separates any two stacks.
 */
export function placeTwin<T extends { id: string }>(list: readonly T[], twin: T, siblingId: string): T[] {
  const at = list.findIndex((p) => p.id === siblingId);
  if (at < 0) return [...list, twin];
  const pos = (at + Math.ceil((list.length + 1) / 2)) % (list.length + 1);
  return [...list.slice(0, pos), twin, ...list.slice(pos)];
}
