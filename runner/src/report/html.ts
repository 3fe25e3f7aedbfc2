// results/<run>/index.html: one self-contained page per run. Inline CSS and SVG only; a CSP forbids
// every network load, so the page shows the same thing offline as online.
import { machineStamp } from '../environment.js';
import type { RunResults } from '../results.js';
import { DECISION_HEADER, decisionLegend, decisionRows, rowCells } from '../capacity/decision.js';
import { aaReport, aaText } from '../verdicts/aa.js';
import { cdfChart, layersChart, overTimeChart, resourcesChart, throughputChart, traceChart } from './charts.js';
import { svgOf } from './vega.js';

export const esc = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export function table(
  id: string,
  header: string[],
  rows: string[][],
  numericFrom = 2,
  numericTo = header.length,
): string {
  const n = (i: number) => (i >= numericFrom && i < numericTo ? ' class="n"' : '');
  const th = header.map((h, i) => `<th${n(i)}>${esc(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c, i) => `<td${n(i)}>${esc(c)}</td>`).join('')}</tr>`).join('\n');
  return `<table id="${id}"><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

export const PAGE_CSS = `body{font:14px/1.45 system-ui,sans-serif;margin:1.5rem auto;max-width:1200px;padding:0 1rem;color:#222}
h1{font-size:1.4rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5rem 0;font-size:13px}th,td{border:1px solid #ccc;padding:3px 7px}
th{background:#f3f3f3}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.fail{color:#b00;font-weight:600}.pass{color:#070}.note{color:#555;max-width:900px}
figure{margin:.5rem 0;overflow-x:auto}svg{max-width:none}code{background:#f5f5f5;padding:0 3px}`;

/** A complete HTML document; `csp` forbids all loads except inline styles and data: images. */
export const page = (title: string, body: string): string => `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title><style>${PAGE_CSS}</style></head>
<body>
${body}
</body></html>
`;

const num = (x: number) =>
  x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x >= 0.1 ? x.toFixed(2) : x.toPrecision(2);

/** The concurrency-matrix rows: one per measured cell. */
export function matrixRows(r: RunResults): string[][] {
  return r.stacks.flatMap((s) =>
    s.cells.map((c) => {
      const l = c.load;
      const errors = Object.values(l.errors).reduce((a, b) => a + b, 0);
      const p95 = (l.latencyMs as { p95?: number }).p95;
      return [
        s.id,
        c.task,
        String(c.concurrency),
        c.status,
        num(l.rps),
        num(l.latencyMs.p50),
        p95 === undefined ? '' : num(p95),
        num(l.latencyMs.p99),
        String(errors),
        c.resources ? c.resources.meanCpuPct.toFixed(0) : '',
        c.resources ? c.resources.peakRssMb.toFixed(0) : '',
      ];
    }),
  );
}

async function figure(title: string, spec: Parameters<typeof svgOf>[0] | undefined): Promise<string> {
  if (!spec) return '';
  return `<h2>${esc(title)}</h2>\n<figure>${await svgOf(spec)}</figure>`;
}

export async function renderReportHtml(r: RunResults): Promise<string> {
  const s = r.settings;
  const decision = decisionRows(r);
  const sections: string[] = [
    `<h1>servebench run <code>${esc(r.runId)}</code></h1>`,
    `<p class="note">${esc(`${r.status}, ${r.wallS ?? '?'} s wall — profile ${s.profile}, model ${r.model.name} (seed ${r.model.seed}, ${r.model.layers} layers, hidden ${r.model.hiddenSize}), ${s.sentences} sentences, ${s.workers} worker(s), ${s.intraOpThreads} ORT thread(s), launcher ${s.launcher}.`)}</p>`,
    `<h2>Capacity at the latency target</h2>`,
    decision.length
      ? `<p class="note">${esc(aaText(aaReport(r)))}</p>\n${table('decision', DECISION_HEADER, decision.map(rowCells))}\n<p class="note">${esc(decisionLegend(r))}</p>`
      : '<p class="note">No capacity search in this run.</p>',
  ];
  if (r.thresholds?.length)
    sections.push(
      '<h2>Thresholds</h2>',
      table(
        'thresholds',
        ['threshold', 'result', 'checked', 'violations'],
        r.thresholds.map((t) => [
          t.expr,
          t.pass ? 'pass' : 'FAIL',
          String(t.observed.length),
          t.reason ??
            t.observed
              .filter((o) => !o.pass)
              .map((o) => `${o.stack}${o.concurrency !== undefined ? ` c=${o.concurrency}` : ''}: ${num(o.value)}`)
              .join(', '),
        ]),
        2,
        3,
      ),
    );
  sections.push(
    await figure('Capacity search traces (offered rate against p99; crosses failed)', traceChart(r)),
    await figure('Latency over time at capacity (p99 per window)', overTimeChart(r)),
    await figure('Per-layer split of predict at capacity', layersChart(r)),
    '<h2>Concurrency matrix</h2>',
    table(
      'matrix',
      [
        'stack',
        'task',
        'concurrency',
        'status',
        'req/s',
        'p50 ms',
        'p95 ms',
        'p99 ms',
        'errors',
        'CPU %',
        'peak RSS MB',
      ],
      matrixRows(r),
      2,
    ),
    await figure('Latency CDFs (highest concurrency per task)', cdfChart(r)),
    await figure('Throughput against concurrency', throughputChart(r)),
    await figure('Server CPU and RSS', resourcesChart(r)),
    '<h2>Environment</h2>',
    `<p>${esc(machineStamp(r.environment))}</p>`,
    `<details><summary>Settings</summary><pre>${esc(JSON.stringify(s, null, 2))}</pre></details>`,
  );
  return page(`servebench ${r.runId}`, sections.filter(Boolean).join('\n'));
}
