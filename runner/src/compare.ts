import type { RunResults } from './results.js';

const pct = (a: number, b: number) => (a === 0 ? 'n/a' : `${b >= a ? '+' : ''}${(((b - a) / a) * 100).toFixed(1)}%`);

/** Per-cell deltas (req/s and p99) of run b against run a, for cells present in both. */
export function compareRuns(a: RunResults, b: RunResults): string {
  const lines = [
    `compare ${a.runId} (A, commit ${a.environment.git.commit.slice(0, 10)}) -> ${b.runId} (B, commit ${b.environment.git.commit.slice(0, 10)})`,
    a.environment.cpu === b.environment.cpu
      ? ''
      : `warning: different CPUs: "${a.environment.cpu}" vs "${b.environment.cpu}"`,
    '',
    '| stack | task | c | req/s A | req/s B | Δ req/s | p99 A ms | p99 B ms | Δ p99 |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  const onlyOne: string[] = [];
  for (const sb of b.stacks) {
    const sa = a.stacks.find((s) => s.id === sb.id);
    for (const cb of sb.cells) {
      const ca = sa?.cells.find((c) => c.task === cb.task && c.concurrency === cb.concurrency);
      if (!ca) {
        onlyOne.push(`${sb.id} ${cb.task} c=${cb.concurrency}`);
        continue;
      }
      const [ra, rb, pa, pb] = [ca.load.rps, cb.load.rps, ca.load.latencyMs.p99, cb.load.latencyMs.p99];
      lines.push(
        `| ${sb.id} | ${cb.task} | ${cb.concurrency} | ${ra.toFixed(0)} | ${rb.toFixed(0)} | ${pct(ra, rb)} | ${pa.toFixed(2)} | ${pb.toFixed(2)} | ${pct(pa, pb)} |`,
      );
    }
  }
  if (onlyOne.length) lines.push('', `only in B: ${onlyOne.join(', ')}`);
  return `${lines.filter((l, i) => l !== '' || i > 1).join('\n')}\n`;
}
