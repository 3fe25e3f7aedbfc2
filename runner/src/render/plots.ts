import type { RunResults } from '../results.js';
import {
  BY_STACK,
  SCHEMA,
  resourceValues,
  svgOf,
  throughputSpec,
  throughputValues,
  topCells,
  type Spec,
} from '../report/vega.js';

const measured = (r: RunResults) => r.stacks.filter((s) => s.cells.length > 0);

/** Requests/s against concurrency, one line per stack, one panel per task. */
function throughputPlot(r: RunResults): Spec {
  return throughputSpec(throughputValues(measured(r)), {
    width: 260,
    height: 220,
    title: `Verified requests/s against concurrency (${r.runId})`,
  });
}

/** Latency CDF per stack at the highest concurrency of each task. */
function cdfSpec(r: RunResults): Spec {
  const values = measured(r).flatMap((s) =>
    topCells(s).flatMap(({ task, top }) =>
      top.load.cdf.map(([p, ms]) => ({ stack: s.id, task: `${task} c=${top.concurrency}`, percentile: p, ms })),
    ),
  );
  return {
    $schema: SCHEMA,
    title: 'Latency CDF at the highest concurrency',
    data: { values },
    facet: { column: { field: 'task' } },
    spec: {
      width: 260,
      height: 220,
      mark: 'line',
      encoding: {
        x: { field: 'ms', type: 'quantitative', scale: { type: 'log' }, title: 'latency ms' },
        y: { field: 'percentile', type: 'quantitative', title: 'percentile' },
        color: BY_STACK,
      },
    },
    resolve: { scale: { x: 'independent' } },
  };
}

/** Server CPU% and RSS over the run's cells, per stack. */
function resourcesSpec(r: RunResults): Spec {
  const values = resourceValues(measured(r), 'CPU %');
  return {
    $schema: SCHEMA,
    title: 'Server process tree: CPU and RSS over the measured cells',
    data: { values },
    facet: { row: { field: 'metric' } },
    spec: {
      width: 700,
      height: 160,
      mark: 'line',
      encoding: {
        x: { field: 't', type: 'quantitative', title: 'seconds (cells back to back)' },
        y: { field: 'value', type: 'quantitative', title: null },
        color: BY_STACK,
      },
    },
    resolve: { scale: { y: 'independent' } },
  };
}

/** SVG plots by file name. */
export async function renderPlots(r: RunResults): Promise<Record<string, string>> {
  return {
    'throughput.svg': await svgOf(throughputPlot(r)),
    'latency-cdf.svg': await svgOf(cdfSpec(r)),
    'resources.svg': await svgOf(resourcesSpec(r)),
  };
}
