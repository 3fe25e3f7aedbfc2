// What every run command does at the end: thresholds into results.json, the report page, and the
// README's capacity block.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderDecisionTable } from '../capacity/decision.js';
import { updateReadmeCapacity } from '../capacity/readme.js';
import { writeJsonAtomic, type RunResults } from '../results.js';
import { describeThresholds, evaluateThresholds, type Threshold } from '../thresholds/index.js';
import { renderReportHtml } from './html.js';

export interface Finished {
  /** Lines describing the thresholds ('' without any). */
  thresholdText: string;
  thresholdsFailed: boolean;
  reportFile: string;
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
  if (o.readme && decision) updateReadmeCapacity(o.readme, `**Capacity, run \`${r.runId}\`:**\n\n${decision}`);
  return {
    thresholdText: r.thresholds ? describeThresholds(r.thresholds, o.thresholds) : '',
    thresholdsFailed: (r.thresholds ?? []).some((t) => !t.pass),
    reportFile,
  };
}
