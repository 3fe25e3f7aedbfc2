import { describe, expect, it } from 'vitest';
import { fixtureRun, fixtureStack, roundsCapacity, roundsCell } from '../testing/run-fixture.js';
import { aaReport, aaText } from './aa.js';
import { annotateNormalized, cellByRound, referenceSpeed } from './normalize.js';
import { renderRatios } from './ratios.js';
import { normalizedAgreement, renderAgreement, verdictAgreement } from './agreement.js';

describe('normalization by the speedometer', () => {
  it('scales each round by reference / reading, the reference being the median reading', () => {
    const c = roundsCell('predict', 32, [100, 60, 100], [200, 120, 200]);
    const run = fixtureRun('n', [fixtureStack('a+ort', [c])]);
    expect(referenceSpeed(run)).toBe(200);
    expect(cellByRound(c, 200)).toEqual([100, 100, 100]);
    const withCap = fixtureRun(
      'n',
      [fixtureStack('a+ort', [c], { capacity: [roundsCapacity([80, 40], [200, 100])] })],
      {
        speed: { reference: 'r' },
      },
    );
    annotateNormalized(withCap);
    expect(withCap.speed!.medianCallsPerS).toBe(200);
    expect(withCap.stacks[0]!.cells[0]!.normalizedRps).toBe(100);
    expect(withCap.stacks[0]!.capacity![0]!.normalized).toEqual({ median: 80, min: 80, max: 80 });
    // Without readings the raw figures stand.
    expect(cellByRound(roundsCell('predict', 32, [100, 60]), undefined)).toEqual([100, 60]);
  });
});

describe('the A/A control', () => {
  const twinRun = (twinRps: number[], twinCap: number[]) =>
    fixtureRun('aa', [
      fixtureStack('fastify+ort', [roundsCell('predict', 32, [100, 104, 98], [50, 50, 50])], {
        capacity: [roundsCapacity([80, 82, 79], [50, 50, 50])],
      }),
      fixtureStack('fastify+ort~twin', [roundsCell('predict', 32, twinRps, [50, 50, 50])], {
        twinOf: 'fastify+ort',
        capacity: [roundsCapacity(twinCap, [50, 50, 50])],
      }),
    ]);

  it('reports the twin against its sibling with intervals, and the noise floor', () => {
    const a = aaReport(twinRun([101, 103, 99], [81, 81, 80]))!;
    expect(a.parts.map((p) => p.what)).toEqual(['predict capacity', 'predict c=32']);
    expect(a.exceeded).toBe(false);
    expect(a.floor!).toBeGreaterThan(0);
    const text = aaText(a);
    expect(text).toContain('A/A control (`fastify+ort~twin` / `fastify+ort`');
    expect(text).toMatch(/predict c=32 ≈ 1\.0\d \[/);
    expect(text).toMatch(
      /Noise floor \(capacity and predict c=32, what the table ranks by\): the twins' intervals reach ±\d+%/,
    );
  });

  it('flags a run whose twin interval excludes 1 by more than 5%', () => {
    const a = aaReport(twinRun([120, 125, 119], [81, 81, 80]))!;
    expect(a.exceeded).toBe(true);
    expect(aaText(a)).toMatch(/Noise floor exceeded: comparisons under \d+% are not meaningful in this run/);
  });

  it('says so when the run has no twin', () => {
    expect(aaReport(fixtureRun('x', []))).toBeUndefined();
    expect(aaText(undefined)).toMatch(/none in this run/);
  });
});

describe('ratio tables', () => {
  it('compares with the best Python peer and with the raw runtime, paired per round', () => {
    const run = fixtureRun('p', [
      fixtureStack('raw+ort', [roundsCell('predict', 32, [200, 100, 200], [10, 5, 10])], { protocol: 'in-process' }),
      fixtureStack('fastify+ort', [roundsCell('predict', 32, [150, 76, 148], [10, 5, 10])], { language: 'typescript' }),
      fixtureStack('flask+ort', [roundsCell('predict', 32, [50, 26, 49], [10, 5, 10])], { language: 'python' }),
      fixtureStack('fastapi+ort', [roundsCell('predict', 32, [75, 37, 76], [10, 5, 10])], { language: 'python' }),
    ]);
    const md = renderRatios(run);
    // fastify / fastapi (the better peer): 2x in every round.
    expect(md).toMatch(/\| fastify\+ort \| predict \| 2\.00× \[1\.8\d, 2\.1\d\] \|/);
    expect(md).not.toMatch(/\| (flask|fastapi)\+ort \| predict \| \d\.\d\d× .* \|\n\n\*\*Against the raw/);
    // Against raw: fastify 0.75x, separable.
    expect(md).toMatch(/\*\*Against the raw runtime\*\*[\s\S]*\| fastify\+ort \| predict \| 0\.7\d× \[/);
    expect(renderRatios(fixtureRun('none', []))).toBe('');
  });
});

describe('agreement between runs', () => {
  // Run B is on a host twice as fast: every figure and every reading doubles.
  const runOf = (id: string, k: number, slowCap: number[]) =>
    fixtureRun(
      id,
      [
        fixtureStack('a+ort', [roundsCell('predict', 32, [100 * k, 98 * k, 102 * k], [50 * k, 50 * k, 50 * k])], {
          capacity: [roundsCapacity([80 * k, 81 * k, 79 * k], [50 * k, 50 * k, 50 * k])],
        }),
        fixtureStack('b+ort', [roundsCell('predict', 32, [50 * k, 51 * k, 49 * k], [50 * k, 50 * k, 50 * k])], {
          capacity: [
            roundsCapacity(
              slowCap.map((x) => x * k),
              [50 * k, 50 * k, 50 * k],
            ),
          ],
        }),
      ],
      { speed: { reference: 'test reference' } },
    );

  it('agrees after normalization across hosts of different speed, and counts verdicts both ways', () => {
    const [a, b] = [runOf('A', 1, [40, 41, 39]), runOf('B', 2, [40, 41, 39])];
    const n = normalizedAgreement(a, b);
    expect(n.cells.every((x) => x.agrees)).toBe(true);
    expect(n.capacity.map((x) => x.agrees)).toEqual([true, true]);
    expect(verdictAgreement(a, b)).toEqual({ declared: 1, same: 1, opposite: [] });
    expect(renderAgreement(a, b)).toContain('Normalized by the speedometer (test reference;');
  });

  it('reports a pair separated the opposite way', () => {
    const [a, b] = [runOf('A', 1, [40, 41, 39]), runOf('B', 1, [160, 162, 158])];
    const v = verdictAgreement(a, b);
    expect(v.opposite).toEqual(['a+ort predict vs b+ort predict']);
    expect(renderAgreement(a, b)).toMatch(/1 the opposite way/);
  });
});
