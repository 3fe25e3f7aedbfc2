// `servebench report`: (re)writes a run's index.html and, with chromium, checks it in the browser
// and writes report.png next to it (the screenshot the README links).
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { decisionRows, rowCells } from '../capacity/decision.js';
import { readResults } from '../results.js';
import { CHROMIUM, checkInBrowser, chromiumAvailable } from './browser.js';
import { finishRun } from './finish.js';
import { matrixRows } from './html.js';

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

export function registerReportCommand(
  program: Command,
  d: { root: string; resolveRunDir(outDir: string, ref: string): string },
): void {
  program
    .command('report')
    .description(
      "write a run's self-contained index.html; with chromium, check it (no console errors, no network, tables equal results.json) and save report.png beside it",
    )
    .option('--run <dir-or-id>', 'run folder or id under --out', 'latest')
    .option('--out <dir>', 'results root', join(d.root, 'results'))
    .option('--no-browser', 'only write the page')
    .action(async (flags: { run: string; out: string; browser: boolean }) => {
      const dir = d.resolveRunDir(resolve(flags.out), flags.run);
      const r = readResults(join(dir, 'results.json'));
      const { reportFile } = await finishRun(r, dir, { thresholds: [] });
      process.stdout.write(`wrote ${reportFile}\n`);
      if (!flags.browser) return;
      if (!chromiumAvailable()) {
        process.stderr.write(`servebench: ${CHROMIUM} not found (apt-get install -y chromium); page not checked\n`);
        process.exitCode = 1;
        return;
      }
      const shot = join(dir, 'report.png');
      const page = await checkInBrowser(reportFile, shot);
      const problems = [
        ...page.consoleErrors.map((e) => `console error: ${e}`),
        ...page.requests.map((u) => `network request: ${u}`),
        ...(same(page.tables.decision ?? [], decisionRows(r).map(rowCells))
          ? []
          : ['decision table differs from results.json']),
        ...(same(page.tables.matrix ?? [], matrixRows(r)) ? [] : ['matrix table differs from results.json']),
      ];
      process.stdout.write(problems.length ? `${problems.join('\n')}\n` : `checked in chromium; wrote ${shot}\n`);
      if (problems.length) process.exitCode = 1;
    });
}
