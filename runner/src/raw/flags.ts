// After every save: a stack's predict cell or predict capacity above its runtime's ceiling (by more than the
// ceiling's spread across rounds) is flagged `aboveCeiling`, a measurement error shown beside the number.
import type { CalibrationResult, StackResult } from '../results.js';
import { ceilingRuntimeFor } from './ceiling.js';
import { aboveCeiling } from './count.js';
import { ceilingId } from './participant.js';

export function flagAboveCeiling(stacks: StackResult[], calibration: CalibrationResult[]): void {
  for (const stack of stacks) {
    const runtime = ceilingRuntimeFor(stack);
    if (!runtime) continue;
    const ceiling = calibration
      .find((c) => c.id === ceilingId(runtime))
      ?.cells.find((c) => c.task === 'predict' && c.status !== 'failed');
    for (const cell of stack.cells) {
      if (cell.task !== 'predict') continue;
      delete cell.aboveCeiling;
      if (!ceiling || cell.status === 'failed') continue;
      const { median, min, max } = ceiling.stability;
      if (aboveCeiling(cell.stability.median, { median, min, max })) {
        cell.aboveCeiling = { runtime, ceilingRps: median, ceilingMaxRps: max };
      }
    }
    for (const cap of stack.capacity ?? []) {
      if (cap.task !== 'predict') continue;
      delete cap.aboveCeiling;
      if (!ceiling || cap.capacityRps === null) continue;
      const { median, min, max } = ceiling.stability;
      if (aboveCeiling(cap.capacityRps, { median, min, max }))
        cap.aboveCeiling = { runtime, ceilingRps: median, ceilingMaxRps: max };
    }
  }
}
