// The machine's speed at a moment: one child process on the server CPU set, the model loaded once, asked for a
// short reading before and after every cell and every capacity probe. A shared VM's speed moves 1.7x within a
// run, so each figure carries the reading taken beside it and can be normalized by it (normalize.ts).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { WordPieceTokenizer } from '@servebench/inference';
import { pinnedCommand } from '../placement/affinity.js';
import type { SpeedJob, SpeedReply } from './protocol.js';

/** Each side of a measurement reads this long (about 20 model calls of all-MiniLM-L6-v2 on one core). */
export const READ_MS = 150;
const MIN_CALLS = 5;

export const SPEED_REFERENCE =
  'the raw onnxruntime-node model call (batch 1, one fixed median-length text, 1/median call time) on the server CPU set, read for 150 ms before and after each cell and capacity probe';

export interface SpeedometerOptions {
  onnx: string;
  vocab: string;
  maxLength: number;
  texts: readonly string[];
  threads: number;
  /** The server CPU set (undefined: placement off). */
  cpus?: readonly number[];
  note(line: string): void;
}

/** The text of median token count among the first 64: one fixed call, so readings differ only by the machine. */
export function referenceIds(texts: readonly string[], vocab: string, maxLength: number): number[] {
  const tokenizer = WordPieceTokenizer.fromVocabText(readFileSync(vocab, 'utf8'), { maxLength });
  const ids = texts.slice(0, 64).map((t) => tokenizer.encode(t));
  ids.sort((a, b) => a.length - b.length);
  const mid = ids[ids.length >> 1];
  if (!mid) throw new Error('the speedometer needs at least one text');
  return mid;
}

function childCommand(): string[] {
  const js = fileURLToPath(new URL('./child.js', import.meta.url));
  return existsSync(js) ? [process.execPath, js] : [process.execPath, '--import', 'tsx', js.replace(/\.js$/, '.ts')];
}

export class Speedometer {
  private readonly waiting: Array<(r: SpeedReply | undefined) => void> = [];
  private broken: string | undefined;
  private chain: Promise<unknown> = Promise.resolve();

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    createInterface({ input: child.stdout }).on('line', (line) => {
      let reply: SpeedReply | undefined;
      try {
        reply = JSON.parse(line) as SpeedReply;
      } catch {
        reply = undefined;
      }
      this.waiting.shift()?.(reply);
    });
    child.once('close', (code) => {
      this.broken ??= `the speedometer exited (${code})`;
      for (const w of this.waiting.splice(0)) w(undefined);
    });
  }

  /** Starts the child and waits until the model is loaded; undefined (with a note) when it cannot run. */
  static async start(o: SpeedometerOptions): Promise<Speedometer | undefined> {
    const [cmd, ...args] = pinnedCommand(childCommand(), o.cpus);
    const child = spawn(cmd!, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      cwd: fileURLToPath(new URL('.', import.meta.url)),
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-1000)));
    child.once('error', (e) => (stderr += e.message));
    const meter = new Speedometer(child);
    const job: SpeedJob = { onnx: o.onnx, ids: [referenceIds(o.texts, o.vocab, o.maxLength)], threads: o.threads };
    const ready = await meter.ask(JSON.stringify(job), 120_000);
    if (ready && 'ready' in ready) return meter;
    o.note(`speedometer unavailable, figures are not normalized: ${meter.broken ?? 'no answer'} ${stderr.trim()}`);
    meter.close();
    return undefined;
  }

  private ask(line: string, timeoutMs: number): Promise<SpeedReply | undefined> {
    if (this.broken) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.broken = `no reading within ${timeoutMs} ms`;
        this.child.kill('SIGKILL');
      }, timeoutMs);
      this.waiting.push((r) => {
        clearTimeout(timer);
        resolve(r);
      });
      this.child.stdin.write(`${line}\n`);
    });
  }

  /** The run's speedometer: the run's model and texts, its model threads, on its server CPU set. */
  static forRun(
    files: { onnx: string; vocab: string; tokenizer: { maxLength: number } },
    texts: readonly string[],
    s: { intraOpThreads: number; placement?: { server: readonly number[] } | null },
    note: (line: string) => void,
  ): Promise<Speedometer | undefined> {
    return Speedometer.start({
      onnx: files.onnx,
      vocab: files.vocab,
      maxLength: files.tokenizer.maxLength,
      texts,
      threads: s.intraOpThreads,
      ...(s.placement ? { cpus: s.placement.server } : {}),
      note,
    });
  }

  /** Model calls per second right now; undefined when the speedometer broke (the run goes on without it). */
  read(ms = READ_MS): Promise<number | undefined> {
    const next = this.chain.then(async () => {
      const r = await this.ask(JSON.stringify({ ms, minCalls: MIN_CALLS }), ms + 10_000);
      return r && 'medianMs' in r && r.medianMs > 0 ? 1000 / r.medianMs : undefined;
    });
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** Runs `measure` between two readings; the speed is their mean (or the one that came back). */
  async around<T>(measure: () => Promise<T>): Promise<{ value: T; speed?: number }> {
    const before = await this.read();
    const value = await measure();
    const after = await this.read();
    const both = [before, after].filter((x): x is number => x !== undefined);
    return both.length ? { value, speed: both.reduce((a, b) => a + b, 0) / both.length } : { value };
  }

  close(): void {
    this.broken ??= 'closed';
    this.child.stdin.end();
    setTimeout(() => this.child.kill('SIGKILL'), 2000).unref();
  }
}
