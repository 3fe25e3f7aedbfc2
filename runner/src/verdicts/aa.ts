// The A/A control's report: the twin against its sibling, cell by cell and for capacity, each a paired ratio with
// its interval. The two run the same code, so any separation between them is the run's own noise; the widest
// interval end is the noise floor a reader should hold every other comparison of the run against.
import type { RunResults } from '../results.js';
import { pairedVerdict, verdictText, type Verdict } from '../stats/verdict.js';
import { capacityByRound, cellByRound, referenceSpeed } from './normalize.js';

/** An A/A interval may exclude 1 by this much before the run is flagged (issue 24). */
export const AA_LIMIT = 0.05;

export interface AaReport {
  twin: string;
  sibling: string;
  parts: Array<{ what: string; verdict: Verdict | undefined }>;
  /**
   * The farthest interval end from 1 over what the decision table ranks by (capacity, and the verdict cells when
   * the run names them), as a fraction: 0.04 = the twins could differ by 4%.
   */
  floor: number | undefined;
  /** Some interval excludes 1 by more than AA_LIMIT. */
  exceeded: boolean;
  /** What the floor is taken over, when not every part. */
  floorOver?: string[];
}

export function aaReport(
  r: Pick<RunResults, 'stacks' | 'calibration'> & { settings?: Pick<RunResults['settings'], 'verdictCells'> },
): AaReport | undefined {
  const twin = r.stacks.find((s) => s.twinOf && s.status === 'ok');
  const sibling = twin && r.stacks.find((s) => s.id === twin.twinOf && s.status === 'ok');
  if (!twin || !sibling) return undefined;
  const ref = referenceSpeed(r);
  const parts: Array<AaReport['parts'][number] & { decides: boolean }> = [];
  const verdictCells = r.settings?.verdictCells;
  for (const c of (twin.capacity ?? []).filter((x) => x.capacityRps !== null)) {
    const mine = (sibling.capacity ?? []).find((x) => x.task === c.task);
    parts.push({
      what: `${c.task} capacity`,
      verdict: pairedVerdict(capacityByRound(c, ref), capacityByRound(mine, ref)),
      decides: true,
    });
  }
  for (const c of twin.cells) {
    const mine = sibling.cells.find((x) => x.task === c.task && x.concurrency === c.concurrency);
    parts.push({
      what: `${c.task} c=${c.concurrency}`,
      verdict: pairedVerdict(cellByRound(c, ref), cellByRound(mine, ref)),
      decides: verdictCells?.some((k) => k.task === c.task && k.concurrency === c.concurrency) ?? true,
    });
  }
  const known = parts.flatMap((p) => (p.verdict ? [p.verdict] : []));
  const deciding = parts.flatMap((p) => (p.verdict && p.decides ? [p.verdict] : []));
  const floor = deciding.length ? Math.max(...deciding.map((v) => Math.max(v.hi - 1, 1 - v.lo))) : undefined;
  const exceeded = known.some((v) => v.lo > 1 + AA_LIMIT || v.hi < 1 - AA_LIMIT);
  return {
    twin: twin.id,
    sibling: sibling.id,
    parts: parts.map(({ what, verdict }) => ({ what, verdict })),
    floor,
    exceeded,
    ...(verdictCells ? { floorOver: ['capacity', ...verdictCells.map((k) => `${k.task} c=${k.concurrency}`)] } : {}),
  };
}

const pct = (x: number) => `${Math.ceil(x * 100)}%`;

/** The A/A paragraph printed beside every table that ranks stacks. */
export function aaText(a: AaReport | undefined): string {
  if (!a) return 'A/A control: none in this run (`--aa <stack>` launches one stack twice).';
  const list = a.parts.map((p) => `${p.what} ${verdictText(p.verdict)}`).join('; ');
  const head = `A/A control (\`${a.twin}\` / \`${a.sibling}\`, the same stack launched twice): ${list}.`;
  if (a.floor === undefined) return `${head} Too few paired rounds for an interval.`;
  return a.exceeded
    ? `${head} **Noise floor exceeded: comparisons under ${pct(a.floor)} are not meaningful in this run** (an A/A interval excludes 1 by more than ${AA_LIMIT * 100}%).`
    : `${head} Noise floor${a.floorOver ? ` (${a.floorOver.join(' and ')}, what the table ranks by)` : ''}: the twins' intervals reach ±${pct(a.floor)}; a difference smaller than that is not one this run can show.`;
}
