// The report page's charts as inline SVG: vega-lite specs rendered to SVG strings in Node (no
// script, no network in the page).
import type { RunResults } from '../results.js';
import { BY_STACK, SCHEMA, resourceValues, throughputSpec, throughputValues, topCells, type Spec } from './vega.js';

const ok = (r: RunResults) => r.stacks.filter((s) => s.cells.length > 0 || (s.capacity ?? []).length > 0);

/** Latency CDF per stack at each task's highest concurrency. */
export function cdfChart(r: RunResults): Spec | undefined {
  const values = ok(r).flatMap((s) =>
    topCells(s).flatMap(({ task, top }) =>
      top.load.cdf.map(([p, ms]) => ({ stack: s.id, panel: `${task} c=${top.concurrency}`, percentile: p, ms })),
    ),
  );
  if (!values.length) return undefined;
  return {
    $schema: SCHEMA,
    data: { values },
    facet: { column: { field: 'panel', title: null } },
    spec: {
      width: 240,
      height: 200,
      mark: 'line',
      encoding: {
        x: { field: 'ms', type: 'quantitative', scale: { type: 'log' }, title: 'latency ms' },
        y: { field: 'percentile', type: 'quantitative' },
        color: BY_STACK,
      },
    },
    resolve: { scale: { x: 'independent' } },
  };
}

/** Verified req/s against concurrency, one line per stack, one panel per task. */
export function throughputChart(r: RunResults): Spec | undefined {
  const values = throughputValues(ok(r));
  return values.length ? throughputSpec(values, { width: 240, height: 200, panelTitle: null }) : undefined;
}

/** Every capacity probe: offered rate against p99, pass or fail, per task; the SLO as a rule. */
export function traceChart(r: RunResults): Spec | undefined {
  const values = ok(r).flatMap((s) =>
    (s.capacity ?? []).flatMap((c) =>
      c.probes.map((p, i) => ({
        stack: s.id,
        task: c.task,
        step: i + 1,
        rate: p.rate,
        p99: Math.max(p.p99, 0.01),
        verdict: p.pass ? 'pass' : 'fail',
        slo: c.sloP99Ms,
      })),
    ),
  );
  if (!values.length) return undefined;
  return {
    $schema: SCHEMA,
    data: { values },
    facet: { column: { field: 'task', title: null } },
    spec: {
      width: 320,
      height: 240,
      layer: [
        {
          mark: { type: 'line', opacity: 0.35 },
          encoding: {
            x: { field: 'rate', type: 'quantitative', scale: { type: 'log' }, title: 'offered req/s (Poisson)' },
            y: { field: 'p99', type: 'quantitative', scale: { type: 'log' }, title: 'p99 ms' },
            color: BY_STACK,
            order: { field: 'step' },
          },
        },
        {
          mark: { type: 'point', filled: true, size: 50 },
          encoding: {
            x: { field: 'rate', type: 'quantitative' },
            y: { field: 'p99', type: 'quantitative' },
            color: BY_STACK,
            shape: {
              field: 'verdict',
              type: 'nominal',
              scale: { domain: ['pass', 'fail'], range: ['circle', 'cross'] },
            },
          },
        },
        {
          mark: { type: 'rule', strokeDash: [4, 3], color: '#c00' },
          encoding: { y: { aggregate: 'max', field: 'slo' } },
        },
      ],
    },
  };
}

/** p99 per half-second window of the probe at capacity, per stack: latency over time. */
export function overTimeChart(r: RunResults): Spec | undefined {
  const values = ok(r).flatMap((s) =>
    (s.capacity ?? []).flatMap((c) =>
      (c.atCapacity?.windowsP99 ?? []).map((p99, i) => ({
        stack: s.id,
        task: `${c.task} at capacity`,
        t: i * (c.atCapacity?.windowS ?? 0.5),
        p99,
      })),
    ),
  );
  if (!values.length) return undefined;
  return {
    $schema: SCHEMA,
    data: { values },
    facet: { column: { field: 'task', title: null } },
    spec: {
      width: 320,
      height: 200,
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 't', type: 'quantitative', title: 'seconds into the probe' },
        y: { field: 'p99', type: 'quantitative', title: 'window p99 ms' },
        color: BY_STACK,
      },
    },
  };
}

/** Server CPU% and RSS over the measured cells, per stack. */
export function resourcesChart(r: RunResults): Spec | undefined {
  const values = resourceValues(ok(r), 'CPU % (100 = one core)');
  if (!values.length) return undefined;
  return {
    $schema: SCHEMA,
    data: { values },
    facet: { row: { field: 'metric', title: null } },
    spec: {
      width: 700,
      height: 150,
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

/** Mean queue / tokenize / infer ms per stack at its predict capacity (Server-Timing), stacked. */
export function layersChart(r: RunResults): Spec | undefined {
  const values = ok(r).flatMap((s) =>
    (s.capacity ?? [])
      .filter((c) => c.task === 'predict' && c.atCapacity)
      .flatMap((c) =>
        (['queue', 'tokenize', 'infer'] as const).flatMap((layer) => {
          const v = c.atCapacity!.serverTiming[layer]?.mean;
          return v === undefined ? [] : [{ stack: s.id, layer, ms: v }];
        }),
      ),
  );
  if (!values.length) return undefined;
  return {
    $schema: SCHEMA,
    data: { values },
    width: 500,
    mark: 'bar',
    encoding: {
      y: { field: 'stack', type: 'nominal', title: null },
      x: { field: 'ms', type: 'quantitative', title: 'mean ms at the predict capacity (Server-Timing)' },
      color: { field: 'layer', type: 'nominal', sort: ['queue', 'tokenize', 'infer'] },
      order: { field: 'layer' },
    },
  };
}
