/** Progress on a TTY (one rewritten line), plain lines otherwise. Writes to stderr. */
export class Progress {
  private readonly tty = process.stderr.isTTY === true;
  private readonly t0 = performance.now();
  private done = 0;

  constructor(private totalCells: number) {}

  private elapsed(): string {
    return fmt((performance.now() - this.t0) / 1000);
  }

  private remaining(): string {
    if (this.done === 0) return '?';
    const per = (performance.now() - this.t0) / 1000 / this.done;
    return `~${fmt(per * (this.totalCells - this.done))}`;
  }

  cell(stack: string, what: string): void {
    const line = `[${this.elapsed()} elapsed, ${this.remaining()} left] ${stack} · ${what} · cell ${this.done + 1}/${this.totalCells}`;
    if (this.tty) process.stderr.write(`\r\x1b[2K${line}`);
    else process.stderr.write(`${line}\n`);
  }

  cellDone(summary: string): void {
    this.done++;
    if (this.tty) process.stderr.write('\r\x1b[2K');
    process.stderr.write(`  ${summary}\n`);
  }

  /** More cells than planned (extra rounds). */
  grow(n: number): void {
    this.totalCells += n;
  }

  skipCells(n: number): void {
    this.done += n;
  }

  note(msg: string): void {
    if (this.tty) process.stderr.write('\r\x1b[2K');
    process.stderr.write(`${msg}\n`);
  }
}

function fmt(s: number): string {
  const m = Math.floor(s / 60);
  return `${m}:${String(Math.floor(s % 60)).padStart(2, '0')}`;
}
