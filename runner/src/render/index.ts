import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunResults } from '../results.js';
import { renderCsv } from './csv.js';
import { renderMarkdown } from './markdown.js';
import { renderPlots } from './plots.js';

export { renderMarkdown, renderTable } from './markdown.js';
export { renderCsv } from './csv.js';
export { updateResultsPage, replaceBetweenMarkers, RESULTS_PAGE } from './results-page.js';

/** Writes results.csv, results.md and the SVG plots next to results.json. */
export async function renderRun(r: RunResults, runDir: string): Promise<string> {
  const md = renderMarkdown(r);
  writeFileSync(
    join(runDir, 'results.md'),
    `# servebench results\n\n${md}\n\n![throughput](throughput.svg)\n\n![latency CDF](latency-cdf.svg)\n\n![resources](resources.svg)\n`,
  );
  writeFileSync(join(runDir, 'results.csv'), renderCsv(r));
  for (const [name, svg] of Object.entries(await renderPlots(r))) writeFileSync(join(runDir, name), svg);
  return md;
}
