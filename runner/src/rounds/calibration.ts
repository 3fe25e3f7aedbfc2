// Calibration references measured every round beside the stacks: a bare node:http hello (the machine and the
// load engine) and the raw runtime call (the model runtime). Their drift over the run is what `compare` uses to
// tell "the machine changed" from "the stack changed".
import { join } from 'node:path';
import { HELLO_BODY, ROUTES } from '@servebench/contract';
import type { StackSpec } from '../discover.js';
import type { LaunchedStack, Launcher } from '../launch/compose.js';
import type { RunSettings } from '../profiles.js';
import type { CalibrationResult, DriftSeries, RoundResult } from '../results.js';
import type { Workload } from '../workload.js';
import { measureHttpCell } from './measure-http.js';
import type { CellKey, Participant } from './participant.js';
import { median } from '../stats/rounds.js';

/** The bare hello's concurrency: enough to keep one server core busy. */
export const CALIBRATION_HELLO_CONCURRENCY = 32;

export const BARE_HELLO_ID = 'bare-http';

/** The bare server as a stack the launcher understands (so placement applies to it like to any stack). */
export const bareHelloStack = (runnerDist: string): StackSpec => ({
  id: `${BARE_HELLO_ID}+none`,
  backend: 'none',
  server: {
    id: BARE_HELLO_ID,
    dir: runnerDist,
    protocol: 'http',
    start: [process.execPath, join(runnerDist, 'rounds', 'bare-hello-server.js')],
    backends: ['none'],
    env: { HELLO_PATH: ROUTES.hello, HELLO_BODY },
    language: 'javascript',
  },
});

/** The bare node:http hello, launched once and kept up for the whole run. */
export class BareHelloParticipant implements Participant {
  readonly id = BARE_HELLO_ID;
  readonly matrix: CellKey[] = [{ task: 'hello_world', concurrency: CALIBRATION_HELLO_CONCURRENCY }];
  private server: LaunchedStack | undefined;
  constructor(
    readonly result: CalibrationResult,
    private readonly o: {
      settings: RunSettings;
      launch: Launcher;
      runnerDist: string;
      runDir: string;
      workload: Workload;
    },
  ) {}
  get cells() {
    return this.result.cells;
  }
  active() {
    return this.result.status !== 'failed';
  }
  async begin(): Promise<boolean> {
    if (this.server && !this.server.exited()) return true;
    try {
      this.server = await this.o.launch(bareHelloStack(this.o.runnerDist), {
        env: {},
        readyTimeoutMs: 30_000,
        logFile: join(this.o.runDir, 'logs', `${BARE_HELLO_ID}.log`),
      });
      this.result.status = 'ok';
      return true;
    } catch (e) {
      this.result.status = 'failed';
      this.result.reason = (e as Error).message;
      return false;
    }
  }
  async measure(k: CellKey, round: number): Promise<RoundResult | undefined> {
    if (!this.server) return undefined;
    return measureHttpCell(this.o.settings, this.server, { ...k, round, workload: this.o.workload });
  }
  async end(): Promise<void> {}
  async close(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    await s?.stop();
  }
}

/** Every calibration cell's req/s by round, and its spread over the run. */
export function driftOf(calibration: readonly CalibrationResult[]): DriftSeries[] {
  return calibration.flatMap((c) =>
    c.cells.map((cell) => {
      const rps: number[] = [];
      for (const r of cell.rounds) rps[r.round] = r.failed ? 0 : r.load.rps;
      const values = rps.filter((x) => x > 0);
      const med = median(values);
      const [min, max] = values.length ? [Math.min(...values), Math.max(...values)] : [0, 0];
      return {
        id: c.id,
        task: cell.task,
        concurrency: cell.concurrency,
        rps: Array.from(rps, (x) => x ?? 0),
        median: med,
        min,
        max,
        spread: med > 0 ? (max - min) / med : 0,
      };
    }),
  );
}
