// Publishing hygiene: nothing a run writes (results.json, logs, hence the README) names this machine:
// the checkout's absolute path becomes `.`, the home directory `~`, the hostname `<host>`.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir, hostname } from 'node:os';
import { join } from 'node:path';

export interface MachineIds {
  root: string;
  home: string;
  host: string;
}

export function machineIds(root: string): MachineIds {
  return { root: root.replace(/\/+$/, ''), home: homedir().replace(/\/+$/, ''), host: hostname() };
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Hostnames this short are common words or fragments; only longer ones are replaced in free text. */
export const MIN_HOST_CHARS = 4;

export function scrubText(text: string, ids: MachineIds): string {
  let out = text;
  // The root first: it usually lies under the home directory.
  if (ids.root.length > 1) out = out.replace(new RegExp(`${escape(ids.root)}(?=/|\\b|$)`, 'g'), '.');
  if (ids.home.length > 1) out = out.replace(new RegExp(`${escape(ids.home)}(?=/|\\b|$)`, 'g'), '~');
  if (ids.host.length >= MIN_HOST_CHARS) out = out.replace(new RegExp(`\\b${escape(ids.host)}\\b`, 'g'), '<host>');
  return out;
}

/** A deep copy with every string scrubbed (keys too). */
export function scrubValue<T>(v: T, ids: MachineIds): T {
  const walk = (x: unknown): unknown => {
    if (typeof x === 'string') return scrubText(x, ids);
    if (Array.isArray(x)) return x.map(walk);
    if (x && typeof x === 'object') {
      const o: Record<string, unknown> = {};
      for (const [k, val] of Object.entries(x)) o[scrubText(k, ids)] = walk(val);
      return o;
    }
    return x;
  };
  return walk(v) as T;
}

/** Rewrites the run's logs/*.log in place where they name the machine. */
export function scrubLogs(runDir: string, ids: MachineIds): void {
  let names: string[];
  try {
    names = readdirSync(join(runDir, 'logs'));
  } catch {
    return;
  }
  for (const name of names) {
    const file = join(runDir, 'logs', name);
    const text = readFileSync(file, 'utf8');
    const clean = scrubText(text, ids);
    if (clean !== text) writeFileSync(file, clean);
  }
}

/** What in `text` still names the machine (for tests and a final check). */
export function machineLeaks(text: string, ids: MachineIds): string[] {
  const out: string[] = [];
  if (ids.root.length > 1 && text.includes(ids.root)) out.push(`checkout path ${ids.root}`);
  if (ids.home.length > 1 && new RegExp(`${escape(ids.home)}(/|\\b)`).test(text)) out.push(`home ${ids.home}`);
  if (text.includes(`"${ids.host}"`)) out.push(`hostname "${ids.host}" as a value`);
  if (ids.host.length >= MIN_HOST_CHARS && new RegExp(`\\b${escape(ids.host)}\\b`).test(text))
    out.push(`hostname ${ids.host}`);
  return out;
}
