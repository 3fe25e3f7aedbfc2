// The A/A control: one stack launched a second time as an independent participant (its own process, its own
// turns in every round, its own capacity search). The two measure the same code, so their ratio is the run's
// noise floor: a difference between two stacks smaller than the twins' is not a difference this run can show.
import type { StackSpec } from '../discover.js';
import { matrixOf, type RunSettings } from '../profiles.js';
import type { StackResult } from '../results.js';
import type { Participant } from './participant.js';
import { StackParticipant, type StackContext } from './stack.js';

export const TWIN_SUFFIX = '~twin';

export const twinId = (id: string): string => `${id}${TWIN_SUFFIX}`;

/** The twin's spec: the same server and backend under its own id (its own logs, results and turns). */
export const twinSpec = (stack: StackSpec): StackSpec => ({ ...stack, id: twinId(stack.id) });

/**
 * The participants with the A/A twin added (each round shuffles the order, so it takes its own turns); the list
 * unchanged when the run has none, its stack is not selected, or the launcher names services by stack (compose,
 * k8s: one per stack).
 */
export function withTwin(
  participants: Participant[],
  stacks: readonly StackSpec[],
  s: RunSettings,
  x: {
    stackEntry(fresh: StackResult): StackResult;
    ctx: StackContext;
    note(l: string): void;
  },
): Participant[] {
  if (!s.aaTwin) return participants;
  const sibling = stacks.find((st) => st.id === s.aaTwin);
  if (!sibling || s.launcher !== 'process' || s.targets?.[s.aaTwin]) {
    x.note(
      `A/A control: ${s.aaTwin} ${sibling ? `not launched twice with --launcher ${s.launcher} or --target` : 'is not among the stacks'}; no twin this run`,
    );
    return participants;
  }
  const entry = x.stackEntry({
    id: twinId(sibling.id),
    server: sibling.server.id,
    backend: sibling.backend,
    protocol: sibling.server.protocol,
    language: sibling.server.language,
    launcher: s.launcher,
    status: 'pending',
    cells: [],
    twinOf: sibling.id,
  });
  const twin = new StackParticipant(twinSpec(sibling), entry, matrixOf(s), x.ctx);
  return [...participants, twin];
}
