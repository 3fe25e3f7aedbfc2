/** Timeouts a closed-loop run sets, all cancelled at once when it stops. */
export class Timers {
  private readonly pending = new Set<NodeJS.Timeout>();

  /** Runs fn after ms, unless clear() comes first. */
  later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.pending.delete(t);
      fn();
    }, ms);
    this.pending.add(t);
  }

  clear(): void {
    for (const t of this.pending) clearTimeout(t);
    this.pending.clear();
  }
}
