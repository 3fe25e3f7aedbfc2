// One launcher session against a cluster: every object it creates is recorded, and cleanup() deletes
// them all (newest first) and waits until they are gone. A SIGINT handler runs the same cleanup on
// Ctrl-C before the process exits.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { ApiTarget, KubeApi } from './api.js';
import { K8sError } from './errors.js';
import type { K8sObject } from './render.js';

export interface SessionOptions {
  /** Poll period for readiness and deletion (ms). */
  pollMs?: number;
  log?: (line: string) => void;
  /** Injected for tests; default setTimeout. */
  sleep?: (ms: number) => Promise<void>;
  /** Injected for tests; default Date.now. */
  now?: () => number;
  /**
   * Ctrl-C deletes through this script (reaper.js), run synchronously in its own node process, so the
   * deletions finish even if another SIGINT handler exits the runner right after this one. Without it
   * (or when the script is missing, e.g. from TypeScript sources) the session deletes asynchronously.
   */
  reaper?: { script: string; target: ApiTarget };
}

const key = (o: K8sObject) => `${o.apiVersion}/${o.kind}/${String(o.metadata.namespace ?? '')}/${o.metadata.name}`;
export const describeObject = (o: K8sObject) => `${o.kind} ${String(o.metadata.namespace ?? '')}/${o.metadata.name}`;

type Any = Record<string, any>;

/** Ready: the controller saw the newest spec and every replica is ready (and updated). */
export function deploymentReady(d: K8sObject | undefined): boolean {
  if (!d) return false;
  const x = d as Any;
  const want = Number(x.spec?.replicas ?? 1);
  const st = x.status ?? {};
  return (
    Number(st.observedGeneration ?? 0) >= Number(x.metadata?.generation ?? 1) &&
    Number(st.readyReplicas ?? 0) >= want &&
    Number(st.updatedReplicas ?? 0) >= want
  );
}

export class K8sSession {
  private readonly created: K8sObject[] = [];
  private readonly pollMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;
  private sigint: (() => void) | undefined;

  constructor(
    readonly api: KubeApi,
    private readonly o: SessionOptions = {},
  ) {
    this.pollMs = o.pollMs ?? 1000;
    this.sleep = o.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.now = o.now ?? Date.now;
  }

  /** What this session created and has not deleted yet (oldest first). */
  objects(): readonly K8sObject[] {
    return [...this.created];
  }

  /** Creates each object; one that already exists is an error (never overwritten), and nothing after it is created. */
  async apply(objs: readonly K8sObject[]): Promise<void> {
    for (const obj of objs) {
      await this.api.create(obj);
      this.created.push(obj);
      this.o.log?.(`created ${describeObject(obj)}`);
    }
  }

  /** Polls until `done(stored object)` or the deadline. */
  async waitFor(obj: K8sObject, done: (o: K8sObject | undefined) => boolean, timeoutMs: number): Promise<K8sObject> {
    const end = this.now() + timeoutMs;
    for (;;) {
      const cur = await this.api.read(obj);
      if (done(cur)) return cur!;
      if (this.now() >= end)
        throw new K8sError(
          'K8S_NOT_READY',
          `${describeObject(obj)} not ready after ${timeoutMs} ms: status ${JSON.stringify((cur as Any | undefined)?.status ?? null)}`,
        );
      await this.sleep(this.pollMs);
    }
  }

  waitDeploymentReady(d: K8sObject, timeoutMs: number): Promise<K8sObject> {
    return this.waitFor(d, deploymentReady, timeoutMs);
  }

  /** Deletes `objs` (newest first), waits until none can be read, and forgets them. */
  async remove(objs: readonly K8sObject[], timeoutMs = 120_000): Promise<void> {
    const errors: string[] = [];
    for (const obj of [...objs].reverse()) {
      try {
        await this.api.remove(obj);
      } catch (e) {
        errors.push((e as Error).message);
      }
    }
    const end = this.now() + timeoutMs;
    let left = [...objs];
    while (left.length) {
      const still: K8sObject[] = [];
      for (const obj of left) if ((await this.api.read(obj)) !== undefined) still.push(obj);
      left = still;
      if (!left.length) break;
      if (this.now() >= end) {
        errors.push(`still present after ${timeoutMs} ms: ${left.map(describeObject).join(', ')}`);
        break;
      }
      await this.sleep(this.pollMs);
    }
    const gone = new Set(objs.filter((o) => !left.includes(o)).map(key));
    for (let i = this.created.length - 1; i >= 0; i--) if (gone.has(key(this.created[i]!))) this.created.splice(i, 1);
    for (const o of objs) if (gone.has(key(o))) this.o.log?.(`deleted ${describeObject(o)}`);
    if (errors.length) throw new K8sError('K8S_API', `cleanup incomplete: ${errors.join('; ')}`);
  }

  /** Deletes everything this session created. */
  cleanup(timeoutMs?: number): Promise<void> {
    return this.remove(this.objects(), timeoutMs);
  }

  /**
   * Ctrl-C: delete everything created, then exit 130. Installed once; the returned function removes it.
   * `exit` is injected for tests (default process.exit).
   */
  onInterrupt(exit: (code: number) => void = (c) => process.exit(c)): () => void {
    if (this.sigint) return () => this.offInterrupt();
    this.sigint = () => {
      this.offInterrupt();
      this.o.log?.('interrupted: deleting everything this run created');
      const r = this.o.reaper;
      if (r && existsSync(r.script)) {
        const objs = this.objects();
        const out = spawnSync(process.execPath, [r.script], {
          input: JSON.stringify({ target: r.target, objects: objs }),
          stdio: ['pipe', 'inherit', 'inherit'],
          timeout: 120_000,
        });
        if (out.status === 0) this.created.splice(0, this.created.length);
        else this.o.log?.(`reaper exited ${out.status ?? out.signal}: some objects may be left`);
        this.o.log?.(`reaper deleted ${out.status === 0 ? objs.length : 'not all of the'} object(s)`);
        exit(130);
        return;
      }
      this.cleanup()
        .catch((e: Error) => this.o.log?.(e.message))
        .finally(() => exit(130));
    };
    // First in line: the runner's other SIGINT handlers (child process groups, compose) exit at once.
    process.prependListener('SIGINT', this.sigint);
    return () => this.offInterrupt();
  }

  private offInterrupt(): void {
    if (this.sigint) process.removeListener('SIGINT', this.sigint);
    this.sigint = undefined;
  }
}
