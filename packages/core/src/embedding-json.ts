// The /predict body written straight from the Float32Array rows. It is byte-identical to
// JSON.stringify({ embedding: Array.from(row) }) (or { embeddings: [...] }): a finite number is
// written as Number#toString writes it (which is what JSON.stringify uses, -0 included as "0"),
// and NaN or +-Infinity as null. The profile showed Array.from + JSON.stringify as the costly
// part of encoding a reply (about 6x the instructions of this loop for a 256-wide row).

function appendRow(out: string, row: Float32Array): string {
  out += '[';
  for (let i = 0; i < row.length; i++) {
    const x = row[i]!;
    if (i > 0) out += ',';
    out += Number.isFinite(x) ? x : 'null';
  }
  return out + ']';
}

/** `{"embedding":[...]}` for a single text, `{"embeddings":[[...],...]}` for a list. */
export function embeddingJson(vectors: readonly Float32Array[], single: boolean): string {
  if (single) return appendRow('{"embedding":', vectors[0]!) + '}';
  let out = '{"embeddings":[';
  for (let i = 0; i < vectors.length; i++) {
    if (i > 0) out += ',';
    out = appendRow(out, vectors[i]!);
  }
  return out + ']}';
}
