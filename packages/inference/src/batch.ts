import type { EncodedBatch } from './backend.js';

/** Pads token id sequences to the longest one in the batch (never to the model maximum). */
export function packBatch(sequences: readonly (readonly number[])[], padId = 0): EncodedBatch {
  const batch = sequences.length;
  let seqLen = 0;
  let realTokens = 0;
  for (const s of sequences) {
    if (s.length > seqLen) seqLen = s.length;
    realTokens += s.length;
  }
  const inputIds = new BigInt64Array(batch * seqLen);
  const attentionMask = new BigInt64Array(batch * seqLen);
  const pad = BigInt(padId);
  for (let b = 0; b < batch; b++) {
    const s = sequences[b]!;
    const row = b * seqLen;
    for (let t = 0; t < seqLen; t++) {
      if (t < s.length) {
        inputIds[row + t] = BigInt(s[t]!);
        attentionMask[row + t] = 1n;
      } else {
        inputIds[row + t] = pad;
      }
    }
  }
  return { batch, seqLen, inputIds, attentionMask, tokenTypeIds: new BigInt64Array(batch * seqLen), realTokens };
}
