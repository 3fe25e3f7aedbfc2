// One chart helper for every vega-lite figure the runner writes (report page, render plots, shape
// runs): the spec type, the schema URL, rendering to an SVG string in Node, and the data rows the
// throughput and CDF charts share.
import { TASKS } from '@servebench/contract';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { CellResult, StackResult } from '../results.js';

export type Spec = vl.TopLevelSpec;
export const SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';

/** Renders a vega-lite spec to an SVG string (no DOM, no network). */
/** The colour channel of every per-stack chart: one colour per stack. */
export const BY_STACK = { field: 'stack', type: 'nominal' } as const;

/** Size and headings of a faceted chart; `panelTitle: null` hides the facet field's header. */
export interface PanelLayout {
  width: number;
  height: number;
  title?: string;
  panelTitle?: null;
}

export async function svgOf(spec: Spec): Promise<string> {
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

/** One row per non-failed cell: req/s at its concurrency. */
export function throughputValues(stacks: readonly StackResult[]) {
  return stacks.flatMap((s) =>
    s.cells
      .filter((c) => c.status !== 'failed')
      .map((c) => ({ stack: s.id, task: c.task, concurrency: c.concurrency, rps: c.load.rps })),
  );
}

/** Each task's non-failed cell at the highest concurrency, per stack (tasks with none left out). */
export function topCells(s: StackResult): { task: (typeof TASKS)[number]; top: CellResult }[] {
  return TASKS.flatMap((task) => {
    const top = s.cells
      .filter((c) => c.task === task && c.status !== 'failed')
      .sort((a, b) => b.concurrency - a.concurrency)[0];
    return top ? [{ task, top }] : [];
  });
}

/** CPU% and RSS samples of every stack's cells laid back to back in time (`cpuLabel` names the CPU panel). */
export function resourceValues(stacks: readonly StackResult[], cpuLabel: string) {
  return stacks.flatMap((s) => {
    let offset = 0;
    return s.cells.flatMap((c) => {
      const samples = c.resources?.samples ?? [];
      const pts = samples.flatMap((x) => [
        { stack: s.id, t: offset + x.tS, metric: cpuLabel, value: x.cpuPct },
        { stack: s.id, t: offset + x.tS, metric: 'RSS MB', value: x.rssMb },
      ]);
      offset += Math.max(0, ...samples.map((x) => x.tS));
      return pts;
    });
  });
}

/** Verified req/s against concurrency, one line per stack, one panel per task (log2 x, y independent). */
export function throughputSpec(values: ReturnType<typeof throughputValues>, o: PanelLayout): Spec {
  return {
    $schema: SCHEMA,
    ...(o.title === undefined ? {} : { title: o.title }),
    data: { values },
    facet: { column: { field: 'task', sort: [...TASKS], ...(o.panelTitle === null ? { title: null } : {}) } },
    spec: {
      width: o.width,
      height: o.height,
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'concurrency', type: 'quantitative', scale: { type: 'log', base: 2 } },
        y: { field: 'rps', type: 'quantitative', title: 'req/s' },
        color: BY_STACK,
      },
    },
    resolve: { scale: { y: 'independent' } },
  };
}
