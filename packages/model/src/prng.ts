// Integer-only PRNG so weights are bit-identical on every platform: only Math.imul, shifts and
// correctly rounded + - * / are used (no Math.log/cos/sqrt, whose results may differ by engine).

/** mulberry32: returns a generator of uint32 values. */
export function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** mulberry32 scaled to [0, 1): for sampling (arrival gaps, generated test inputs), not for weights. */
export function mulberry32Unit(seed: number): () => number {
  const next = mulberry32(seed);
  return () => next() / 4294967296;
}

/** FNV-1a over UTF-16 code units, then murmur3's fmix32 finaliser to spread the bits. */
function hash32(text: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * One independent stream per tensor name, so a tensor's values do not depend on which other
 * tensors were generated before it (layers can be added or reordered without reshuffling).
 */
export function streamFor(seed: number, name: string): () => number {
  return mulberry32(hash32(name, seed >>> 0));
}

/** sqrt(3): a uniform on [-a, a] has std a / sqrt(3). Literal, to avoid relying on Math.sqrt. */
const SQRT3 = 1.7320508075688772;

/**
 * Fills `out` with uniform values of the given std and mean: mean + u * std * sqrt(3),
 * with u = (2k + 1) / 2^32 - 1 in (-1, 1) for a uint32 k.
 */
export function fillUniform(out: Float32Array, next: () => number, std: number, mean = 0): Float32Array {
  const a = std * SQRT3;
  for (let i = 0; i < out.length; i++) {
    const u = (2 * next() + 1) / 4294967296 - 1;
    out[i] = mean + u * a;
  }
  return out;
}
