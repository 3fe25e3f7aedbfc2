// Many searches side by side: round by round, step k takes one probe of every search still probing, in an order
// shuffled every step, then step k+1. No search's result rests on one stretch of time: a machine that slows
// down for a minute slows a probe of every stack, not one stack's whole search (issue 24's 1.7x drift put the
// stacks searched last at the bottom of the ranking when each was searched in one go).

import { roundOrder } from '../rounds/loop.js';

export interface Interleavable {
  startRound(round: number): Promise<void>;
  pending(): boolean;
  readonly failed: boolean;
  step(): Promise<void>;
  /** Ends the search for good (its stack cannot be brought up). */
  abandon(reason: string): void;
}

export interface InterleaveHooks<S> {
  /** Before a search's turn: bring its stack up; a reason when it cannot be measured. */
  ready?(s: S): Promise<string | undefined>;
  /** A round is complete (write the results). */
  afterRound?(round: number): void;
}

/** The order of step `step` in round `round`: a seeded shuffle, like the matrix's rounds (rounds/loop.ts). */
export const stepOrder = <T>(items: readonly T[], round: number, step: number): T[] =>
  roundOrder(items, 1000 * (round + 1) + step);

/** Runs `rounds` rounds of every search, one probe per search per step. */
export async function runInterleaved<S extends Interleavable>(
  searches: readonly S[],
  rounds: number,
  hooks: InterleaveHooks<S> = {},
): Promise<void> {
  const turn = async (s: S, go: () => Promise<void>) => {
    const why = hooks.ready ? await hooks.ready(s) : undefined;
    if (why === undefined) await go();
    else s.abandon(why);
  };
  for (let round = 0; round < rounds; round++) {
    for (const s of searches) if (!s.failed) await turn(s, () => s.startRound(round));
    for (let step = 0; ; step++) {
      const due = searches.filter((s) => s.pending());
      if (!due.length) break;
      for (const s of stepOrder(due, round, step)) if (s.pending()) await turn(s, () => s.step());
    }
    hooks.afterRound?.(round);
  }
}
