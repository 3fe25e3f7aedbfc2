// One-off: ORT vs reference for every config (not part of the test suite; base is slow).
import { CONFIGS, type ModelConfigName } from '../configs.js';
import { forgeOnnx, readOnnxWeights } from '../forge.js';
import { maxAbsDiff, openSession, padBatch, randomSentence, runEmbed } from './ort.js';
import { referenceEmbed } from './reference.js';

for (const name of (process.argv[2] ?? 'tiny,mini,small,base').split(',') as ModelConfigName[]) {
  const c = CONFIGS[name];
  let t = performance.now();
  const bytes = forgeOnnx(c, 0);
  const forgeMs = performance.now() - t;
  const session = await openSession(bytes);
  const batch = padBatch([{ ids: randomSentence(1, 6), types: [0, 0, 0, 1, 1, 1] }, { ids: randomSentence(2, 10) }]);
  const got = await runEmbed(session, batch);
  t = performance.now();
  const want = referenceEmbed(c, readOnnxWeights(bytes), batch);
  const refMs = performance.now() - t;
  const diff = Math.max(...got.rows.map((r, i) => maxAbsDiff(r, want[i]!)));
  console.log(
    `${name}: ${(bytes.length / 1e6).toFixed(1)} MB, forge ${forgeMs.toFixed(0)} ms, ref ${refMs.toFixed(0)} ms, max diff ${diff.toExponential(2)}`,
  );
}
