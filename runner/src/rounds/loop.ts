// The round loop: every round, the calibration references first, then every participant in a shuffled order,
// each measuring the cells that still need this round (base rounds always, extra rounds while unstable).
import { mulberry32Unit } from '@servebench/model';
import { roundsFor, type RunSettings } from '../profiles.js';
import type { Progress } from '../progress.js';
import type { RoundResult } from '../results.js';
import { assessRounds } from '../stats/rounds.js';
import { mergeCell, roundSummary } from './cell.js';
import { roundsOf, type CellKey, type Participant } from './participant.js';

export interface RoundsOptions {
  settings: RunSettings;
  /** Measured first in every round: the drift references. */
  calibration: Participant[];
  /** Stacks and raw rows, in discovery order; the loop rotates them. */
  participants: Participant[];
  progress: Progress;
  /** Persist results (after every measured round of a cell). */
  save(): void;
  /** Called when a round starts (the number of rounds started so far). */
  onRound?(round: number): void;
  /** Runs a measurement between two readings of the machine's speed (speed/speedometer.ts). */
  around?<T>(measure: () => Promise<T>): Promise<{ value: T; speed?: number }>;
}

/**
 * Round r's order: a shuffle seeded by r (Randomized Multiple Interleaved Trials), the same on every run and resume.
 * A fixed rotation kept every participant behind the same neighbour in every round, so whatever a stack leaves
 * behind (a model server still draining, a collector running) landed on the same next stack each time: the A/A
 * twin read 15% above its sibling on predict c=32 in 4 of 5 rounds that way.
 */
export function roundOrder<T>(items: readonly T[], round: number): T[] {
  const out = [...items];
  const rnd = mulberry32Unit(0x5eed + round);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Cells of a participant that need round `round` (0-based). */
export function dueCells(p: Participant, round: number, s: RunSettings): CellKey[] {
  const cap = s.rounds + s.extraRounds;
  return p.matrix.filter((k) => {
    const rounds = roundsOf(p, k);
    if (rounds.length > round) return false;
    const base = roundsFor(s, k);
    if (round < base) return true;
    if (round < s.rounds) return false;
    if (s.extraRoundTasks && !s.extraRoundTasks.includes(k.task)) return false;
    const rps = rounds.filter((r) => !r.failed).map((r) => r.load.rps);
    return round < cap && rps.length > 0 && !assessRounds(rps, s.rounds, s.roundTolerance).stable;
  });
}

/** Runs every round; returns how many rounds were started. Resumable: measured rounds are skipped. */
export async function runRounds(o: RoundsOptions): Promise<number> {
  const s = o.settings;
  const cap = s.rounds + s.extraRounds;
  let started = 0;
  for (let round = 0; round < cap; round++) {
    const order = roundOrder(o.participants, round).filter((p) => p.active());
    const due = order.map((p) => ({ p, cells: dueCells(p, round, s) })).filter((d) => d.cells.length);
    if (!due.length) {
      if (round >= s.rounds) break; // no cell needs an extra round
      continue; // resuming: this base round is already complete
    }
    started = round + 1;
    o.onRound?.(round);
    if (round >= s.rounds)
      o.progress.grow(
        due.reduce((n, d) => n + d.cells.length, 0) + o.calibration.reduce((n, p) => n + p.matrix.length, 0),
      );
    // Calibration references: in their base rounds (quick's other-cell rounds: the speedometer reads the machine beside
    // every cell) and in every extra round that runs.
    const calibrate = o.calibration.map((p) => ({
      p,
      cells: p.matrix.filter((k) => roundsOf(p, k).length <= round && (round >= s.rounds || round < roundsFor(s, k))),
    }));
    const turns = [...calibrate, ...due];
    o.progress.note(
      `round ${round + 1}${round >= s.rounds ? ' (extra)' : ''}: ${turns.map((t) => t.p.id).join(' > ')}`,
    );
    for (const { p, cells } of turns) await turn(o, p, cells, round);
  }
  return started;
}

async function turn(o: RoundsOptions, p: Participant, cells: CellKey[], round: number): Promise<void> {
  if (!cells.length || !p.active()) return;
  if (!(await p.begin())) {
    // It will not be measured again: its cells of this and the remaining base rounds are done.
    o.progress.skipCells(
      cells.length + p.matrix.reduce((n, k) => n + Math.max(0, roundsFor(o.settings, k) - round - 1), 0),
    );
    o.save();
    return;
  }
  try {
    for (const [i, k] of cells.entries()) {
      o.progress.cell(p.id, `${k.task} c=${k.concurrency} round ${round + 1}`);
      const measure = () => p.measure(k, round);
      const { value: r, speed } = o.around ? await o.around(measure) : { value: await measure(), speed: undefined };
      if (r && speed !== undefined) r.speed = speed;
      if (!r) {
        o.progress.skipCells(cells.length - i);
        break;
      }
      const cell = record(o.settings, p, k, r);
      o.save();
      o.progress.cellDone(roundSummary(k.task, k.concurrency, r, cell));
    }
  } finally {
    await p.end();
    o.save();
  }
}

function record(s: RunSettings, p: Participant, k: CellKey, r: RoundResult) {
  const i = p.cells.findIndex((c) => c.task === k.task && c.concurrency === k.concurrency);
  const cell = mergeCell(s, k.task, k.concurrency, [...(i >= 0 ? p.cells[i]!.rounds : []), r]);
  if (i >= 0) p.cells[i] = cell;
  else p.cells.push(cell);
  return cell;
}
