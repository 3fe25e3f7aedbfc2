// What every run command does at the end: thresholds into results.json, the report page, and the
// README's capacity block.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderDecisionTable } from '../capacity/decision.js';
import { updateReadmeCapacity } from '../capacity/readme.js';
import { writeJsonAtomic, type RunResults } from '../results.js';
import { describeThresholds, evaluateThresholds, type Threshold } from '../thresholds/index.js';
import { renderReportHtml } from './html.js';
import { machineStamp } from '../environment.js';
import { placementStamp } from '../render/cost.js';
import { aaReport, aaText } from '../verdicts/aa.js';

export interface Finished {
  /** Lines describing the thresholds ('' without any). */
  thresholdText: string;
  thresholdsFailed: boolean;
  reportFile: string;
  /** The decision table as markdown ('' without capacity results). */
  decision: string;
}

const CAPACITY_HEADING = '## Capacity at the SLO';

/** Puts the decision table first in results.md (once; a re-render replaces it). */
export function leadResultsMd(file: string, decision: string): void {
  if (!decision || !existsSync(file)) return;
  let md = readFileSync(file, 'utf8');
  const at = md.indexOf(CAPACITY_HEADING);
  if (at >= 0) {
    const end = md.indexOf('## Concurrency matrix\n\n', at);
    md = md.slice(0, at) + (end >= 0 ? md.slice(end + '## Concurrency matrix\n\n'.length) : md.slice(at));
  }
  const title = /^# [^\n]*\n\n/.exec(md)?.[0] ?? '';
  writeFileSync(
    file,
    `${title}${CAPACITY_HEADING}\n\n${decision}\n\n## Concurrency matrix\n\n${md.slice(title.length)}`,
  );
}

/** The README's block: what made the table (run, machine, versions, placement, commit), the A/A control, the table. */
export function decisionBlock(r: RunResults, decision: string): string {
  return [
    `**Capacity, run \`${r.runId}\`** (profile \`${r.settings.profile}\`, model \`${r.model.name}\`). ${placementStamp(r)} Machine: ${machineStamp(r.environment)}.`,
    '',
    aaText(aaReport(r)),
    '',
    decision,
  ].join('\n');
}

export async function finishRun(
  r: RunResults,
  runDir: string,
  o: { thresholds: Threshold[]; readme?: string },
): Promise<Finished> {
  if (o.thresholds.length) {
    r.thresholds = evaluateThresholds(o.thresholds, r.stacks);
    writeJsonAtomic(join(runDir, 'results.json'), r);
  }
  const reportFile = join(runDir, 'index.html');
  writeFileSync(reportFile, await renderReportHtml(r));
  const decision = renderDecisionTable(r);
  leadResultsMd(join(runDir, 'results.md'), decision);
  if (o.readme && decision) updateReadmeCapacity(o.readme, decisionBlock(r, decision));
  return {
    thresholdText: r.thresholds ? describeThresholds(r.thresholds, o.thresholds) : '',
    thresholdsFailed: (r.thresholds ?? []).some((t) => !t.pass),
    reportFile,
    decision,
  };
}
