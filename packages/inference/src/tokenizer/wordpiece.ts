// WordPiece model: greedy longest-match-first over a word, continuation pieces carry "##".
// A word longer than maxInputCharsPerWord characters (Unicode scalar values, as Rust counts them),
// or one that cannot be covered entirely by vocabulary pieces, becomes a single [UNK].

export interface WordPieceOptions {
  unkId: number;
  /** Default 100, as in bert-base-uncased. */
  maxInputCharsPerWord?: number;
  /** Default "##". */
  continuingSubwordPrefix?: string;
  /** Word -> ids cache size; 0 disables the cache. Default 50,000 entries. */
  cacheSize?: number;
  /** Characters (UTF-16 code units) the cached words may hold in total. Default 1,000,000. */
  cacheChars?: number;
}

const isHigh = (cu: number) => cu >= 0xd800 && cu <= 0xdbff;
const isLow = (cu: number) => cu >= 0xdc00 && cu <= 0xdfff;

/** Number of Unicode scalar values (a lone surrogate counts as one, as U+FFFD would). */
export function charCount(s: string): number {
  let n = s.length;
  for (let i = 0; i + 1 < s.length; i++) {
    if (isHigh(s.charCodeAt(i)) && isLow(s.charCodeAt(i + 1))) {
      n--;
      i++;
    }
  }
  return n;
}

export class WordPiece {
  readonly unkId: number;
  readonly maxInputCharsPerWord: number;
  /** Every vocabulary entry, as written (word-initial lookups). */
  private readonly initial: Map<string, number>;
  /** Entries that start with the prefix, with the prefix removed (continuation lookups). */
  private readonly continuation: Map<string, number>;
  private readonly maxInitialLen: number;
  private readonly maxContinuationLen: number;
  private readonly cache = new Map<string, readonly number[]>();
  private readonly cacheSize: number;
  private readonly cacheChars: number;
  private cachedCharCount = 0;
  private readonly unk: readonly number[];

  constructor(vocab: ReadonlyMap<string, number>, opts: WordPieceOptions) {
    const prefix = opts.continuingSubwordPrefix ?? '##';
    this.unkId = opts.unkId;
    this.unk = [opts.unkId];
    this.maxInputCharsPerWord = opts.maxInputCharsPerWord ?? 100;
    this.cacheSize = opts.cacheSize ?? 50_000;
    this.cacheChars = opts.cacheChars ?? 1_000_000;
    this.initial = new Map(vocab);
    this.continuation = new Map();
    let maxInitial = 0;
    let maxCont = 0;
    for (const [token, id] of vocab) {
      maxInitial = Math.max(maxInitial, token.length);
      if (token.startsWith(prefix)) {
        const rest = token.slice(prefix.length);
        this.continuation.set(rest, id);
        maxCont = Math.max(maxCont, rest.length);
      }
    }
    this.maxInitialLen = maxInitial;
    this.maxContinuationLen = maxCont;
  }

  /**
   * Ids of one pre-tokenized word (cached). The returned array must not be modified. A word too
   * long to be anything but [UNK] is never cached, and the cache is bounded by entries and by
   * characters, so unique words cannot grow it without bound.
   */
  ids(word: string): readonly number[] {
    const n = word.length;
    if (n > this.maxInputCharsPerWord && charCount(word) > this.maxInputCharsPerWord) return this.unk;
    const hit = this.cache.get(word);
    if (hit !== undefined) return hit;
    const ids = this.tokenize(word);
    if (this.cacheSize > 0 && n <= this.cacheChars) {
      if (this.cache.size >= this.cacheSize || this.cachedCharCount + n > this.cacheChars) this.clearCache();
      this.cache.set(word, ids);
      this.cachedCharCount += n;
    }
    return ids;
  }

  /** Drops every cached word. */
  clearCache(): void {
    this.cache.clear();
    this.cachedCharCount = 0;
  }

  get cachedWords(): number {
    return this.cache.size;
  }

  /** UTF-16 code units held by the cached words. */
  get cachedChars(): number {
    return this.cachedCharCount;
  }

  /** Uncached WordPiece of one word. */
  tokenize(word: string): readonly number[] {
    const n = word.length;
    if (n > this.maxInputCharsPerWord && charCount(word) > this.maxInputCharsPerWord) return this.unk;
    const out: number[] = [];
    let start = 0;
    while (start < n) {
      const map = start === 0 ? this.initial : this.continuation;
      let end = Math.min(n, start + (start === 0 ? this.maxInitialLen : this.maxContinuationLen));
      // never cut a surrogate pair
      if (end < n && isLow(word.charCodeAt(end)) && isHigh(word.charCodeAt(end - 1))) end--;
      let id: number | undefined;
      while (end > start) {
        id = map.get(word.slice(start, end));
        if (id !== undefined) break;
        end--;
        if (end > start && isLow(word.charCodeAt(end)) && isHigh(word.charCodeAt(end - 1))) end--;
      }
      if (id === undefined) return this.unk;
      out.push(id);
      start = end;
    }
    return out;
  }
}
