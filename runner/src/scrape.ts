/** Prometheus histogram buckets scraped from a server's /metrics, to diff before and after a cell. */
export type Buckets = Map<string, number>;

/** Cumulative bucket counts of histogram `name` (label `le` -> count), or undefined when absent. */
export async function scrapeHistogram(baseUrl: string, name: string): Promise<Buckets | undefined> {
  const text = await fetch(new URL('/metrics', baseUrl), { signal: AbortSignal.timeout(5000) })
    .then((r) => (r.ok ? r.text() : ''))
    .catch(() => '');
  const buckets: Buckets = new Map();
  const re = new RegExp(`^${name}_bucket\\{(?:[^}]*,)?le="([^"]+)"[^}]*\\} ([0-9.e+]+)$`, 'gm');
  for (const m of text.matchAll(re)) buckets.set(m[1]!, (buckets.get(m[1]!) ?? 0) + Number(m[2]));
  const sum = new RegExp(`^${name}_sum(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm').exec(text);
  if (buckets.size === 0) return undefined;
  if (sum) buckets.set('sum', Number(sum[1]));
  return buckets;
}

export interface BatchHistogram {
  /** Batches per size bucket during the cell: `le` is the bucket's upper bound. */
  buckets: Array<{ le: string; batches: number }>;
  batches: number;
  meanSize: number;
}

/** Per-bucket batch counts during a cell, from cumulative scrapes taken before and after it. */
export function diffHistogram(before: Buckets | undefined, after: Buckets | undefined): BatchHistogram | undefined {
  if (!after) return undefined;
  const at = (b: Buckets | undefined, k: string) => b?.get(k) ?? 0;
  const les = [...after.keys()]
    .filter((k) => k !== 'sum')
    .sort((a, b) => (a === '+Inf' ? 1 : b === '+Inf' ? -1 : Number(a) - Number(b)));
  let prev = 0;
  const buckets = les.map((le) => {
    const cum = at(after, le) - at(before, le);
    const n = cum - prev;
    prev = cum;
    return { le, batches: n };
  });
  const batches = prev;
  return {
    buckets: buckets.filter((b) => b.batches > 0),
    batches,
    meanSize: batches ? (at(after, 'sum') - at(before, 'sum')) / batches : 0,
  };
}
