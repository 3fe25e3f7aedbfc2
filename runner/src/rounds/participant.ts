import type { Task } from '@servebench/contract';
import type { CellResult, RoundResult } from '../results.js';

export interface CellKey {
  task: Task;
  concurrency: number;
}

/**
 * Anything measured in rounds: a stack, the raw row, a calibration reference. The round loop only sees this;
 * how a participant is launched, verified and measured (HTTP, gRPC, in-process) is its own business.
 */
export interface Participant {
  readonly id: string;
  /** Its cells in the results (kept across rounds and runs: --resume continues them). */
  readonly cells: CellResult[];
  readonly matrix: readonly CellKey[];
  /** Still measurable: not skipped, failed or crashed. */
  active(): boolean;
  /** Ready for a turn (launch and verify when not up). false: cannot be measured; it recorded why. */
  begin(): Promise<boolean>;
  /** One round of one cell; undefined when the participant stopped being measurable (it recorded why). */
  measure(cell: CellKey, round: number): Promise<RoundResult | undefined>;
  /** After its turn in a round (stops it unless kept up between rounds). */
  end(): Promise<void>;
  /** At the end of the run, also after an error: stop whatever is still running. */
  close(): Promise<void>;
}

export const cellOf = (p: Participant, k: CellKey): CellResult | undefined =>
  p.cells.find((c) => c.task === k.task && c.concurrency === k.concurrency);

/** usable rounds' req/s of a cell so far (failed rounds count as measured but not as a value). */
export const roundsOf = (p: Participant, k: CellKey): RoundResult[] => cellOf(p, k)?.rounds ?? [];
