import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** The block a server workspace puts in its package.json under "servebench". */
export interface ServerSpec {
  id: string;
  dir: string;
  protocol: 'http' | 'grpc';
  /** Command and arguments, run in `dir`. */
  start: string[];
  backends: string[];
  env: Record<string, string>;
  compose?: string;
  /** The server's language; `python` marks the seed's peers, which the results compare against. */
  language: string;
  /** How the stacks table (docs/stacks.md) names it (discovery: the block's "title", else the id). */
  title?: string;
  /**
   * The packages that make this server what it is, with the range it asks for: its package.json
   * dependencies outside the monorepo, or for a Python server the top-level names of requirements.in.
   * Always set by discovery; absent for the runner's own stand-ins.
   */
  frameworks?: Record<string, string>;
}

export interface StackSpec {
  /** `server+backend`, e.g. `fastify+ort`. */
  id: string;
  server: ServerSpec;
  backend: string;
}

export class DiscoveryError extends Error {}

function readSpec(dir: string): ServerSpec | undefined {
  const file = join(dir, 'package.json');
  if (!existsSync(file)) return undefined;
  const pkg = JSON.parse(readFileSync(file, 'utf8')) as {
    servebench?: Partial<ServerSpec>;
    dependencies?: Record<string, string>;
  };
  const b = pkg.servebench;
  if (!b) return undefined;
  const where = `${file} "servebench"`;
  if (typeof b.id !== 'string' || !/^[a-z0-9_-]+$/.test(b.id))
    throw new DiscoveryError(`${where}: "id" must match [a-z0-9_-]+`);
  if (b.protocol !== 'http' && b.protocol !== 'grpc')
    throw new DiscoveryError(`${where}: "protocol" must be http or grpc`);
  if (!Array.isArray(b.start) || b.start.length === 0 || !b.start.every((x) => typeof x === 'string')) {
    throw new DiscoveryError(`${where}: "start" must be a non-empty array of strings`);
  }
  if (!Array.isArray(b.backends) || b.backends.length === 0)
    throw new DiscoveryError(`${where}: "backends" must list at least one backend`);
  if (b.title !== undefined && typeof b.title !== 'string')
    throw new DiscoveryError(`${where}: "title" must be a string`);
  const language = b.language ?? 'typescript';
  return {
    id: b.id,
    dir,
    protocol: b.protocol,
    start: b.start,
    backends: b.backends,
    env: b.env ?? {},
    compose: b.compose,
    language,
    title: b.title ?? b.id,
    frameworks:
      language === 'python'
        ? pythonRequirements(dir)
        : Object.fromEntries(Object.entries(pkg.dependencies ?? {}).filter(([n]) => !n.startsWith('@servebench/'))),
  };
}

/** Top-level requirements of a Python server (requirements.in, with includes: also the files it -r includes; markers dropped): name -> spec. */
export function pythonRequirements(
  dir: string,
  o: { includes?: boolean } = {},
  file = join(dir, 'requirements.in'),
): Record<string, string> {
  if (!existsSync(file)) return {};
  const out: Record<string, string> = {};
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    const line = raw.replace(/#.*/, '').split(';')[0]!.trim();
    const include = /^-r\s+(\S+)$/.exec(line);
    if (include && o.includes) Object.assign(out, pythonRequirements(dir, o, resolve(dirname(file), include[1]!)));
    const m = /^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*(.*)$/.exec(line);
    if (m && !line.startsWith('-')) out[m[1]!.toLowerCase()] ??= m[3]!.trim() || '*';
  }
  return out;
}

/** Expands the root package.json workspace globs of the form `dir/*` or `dir`. */
function workspaceDirs(root: string): string[] {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { workspaces?: string[] };
  return (pkg.workspaces ?? []).flatMap((w) => {
    if (!w.endsWith('/*')) return [resolve(root, w)];
    const parent = resolve(root, w.slice(0, -2));
    if (!existsSync(parent)) return [];
    return readdirSync(parent, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => join(parent, d.name));
  });
}

/** Finds every server workspace (and any extra server dirs), sorted by id. No central list to edit. */
export function discoverServers(root: string, extraDirs: string[] = []): ServerSpec[] {
  const specs = [...workspaceDirs(root), ...extraDirs.map((d) => resolve(d))].flatMap((d) => readSpec(d) ?? []);
  const seen = new Set<string>();
  for (const s of specs) {
    if (seen.has(s.id)) throw new DiscoveryError(`two server workspaces use the id "${s.id}"`);
    seen.add(s.id);
  }
  return specs.sort((a, b) => a.id.localeCompare(b.id));
}

export function stacksOf(servers: ServerSpec[]): StackSpec[] {
  return servers.flatMap((server) =>
    server.backends.map((backend) => ({ id: `${server.id}+${backend}`, server, backend })),
  );
}

/** Keeps stacks matching any filter: an exact id, a server id, or a backend after `+` (e.g. `+ort`). */
export function filterStacks(stacks: StackSpec[], filters: string[] | undefined): StackSpec[] {
  if (!filters || filters.length === 0) return stacks;
  const unknown = filters.filter((f) => !stacks.some((s) => matches(s, f)));
  if (unknown.length) {
    throw new DiscoveryError(
      `no stack matches ${unknown.join(', ')}; available: ${stacks.map((s) => s.id).join(', ')}`,
    );
  }
  return stacks.filter((s) => filters.some((f) => matches(s, f)));
}

const matches = (s: StackSpec, f: string) =>
  s.id === f || s.server.id === f || (f.startsWith('+') && s.backend === f.slice(1));

/** The monorepo root: the nearest ancestor with turbo.json. */
export function repoRoot(from = new URL('.', import.meta.url).pathname): string {
  let dir = resolve(from);
  while (!existsSync(join(dir, 'turbo.json'))) {
    const up = resolve(dir, '..');
    if (up === dir) throw new DiscoveryError('cannot find the servebench repo root (no turbo.json above the runner)');
    dir = up;
  }
  return dir;
}
