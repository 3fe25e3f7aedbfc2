// `servebench new-stack <name> --like <server>`: a new server workspace copied from a sibling, under its own id.
// The copy passes conformance as it is (it is the sibling's code); adding a framework then means replacing the
// route wiring in src/app.ts and the listen call in src/main.ts with the new framework's, and its dependencies in
// package.json. Nothing else in the repository needs editing: discovery finds the workspace by its block.
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Command } from 'commander';

export class ScaffoldError extends Error {}

/** What a copy leaves behind: build output, installs, caches and the Python venvs. */
const SKIP = new Set(['node_modules', 'dist', '.turbo', '.venv', '__pycache__', 'coverage']);

export interface NewStack {
  /** The new server id (package `@servebench/server-<name>`, folder `<parent>/<name>`). */
  name: string;
  /** The server id to copy. */
  like: string;
  /** Repo root. */
  root: string;
  /** Where the new folder goes (default: <root>/servers). */
  parent?: string;
}

interface Pkg {
  name: string;
  description?: string;
  servebench: { id: string; title?: string; compose?: string; [k: string]: unknown };
  [k: string]: unknown;
}

export function newStack(o: NewStack): string {
  if (!/^[a-z0-9][a-z0-9_-]*$/.test(o.name)) throw new ScaffoldError(`${o.name}: a server id is [a-z0-9_-]+`);
  const from = join(o.root, 'servers', o.like);
  if (!existsSync(join(from, 'package.json'))) throw new ScaffoldError(`--like ${o.like}: no servers/${o.like}`);
  const to = join(o.parent ?? join(o.root, 'servers'), o.name);
  if (existsSync(to)) throw new ScaffoldError(`${to} exists already`);
  cpSync(from, to, { recursive: true, filter: (src) => !SKIP.has(src.split('/').pop()!) });

  const pkg = JSON.parse(readFileSync(join(to, 'package.json'), 'utf8')) as Pkg;
  pkg.name = `@servebench/server-${o.name}`;
  pkg.description = `${o.name} server for the servebench contract (scaffolded from ${o.like})`;
  const { compose: _compose, ...block } = pkg.servebench;
  // No compose service exists for it yet: the compose launcher reports it as skipped instead of guessing.
  pkg.servebench = { ...block, id: o.name, title: `${o.name} (scaffolded from ${o.like}; replace the framework)` };
  writeFileSync(join(to, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);

  // The shared tsconfig is found from wherever the folder lives.
  const tsconfig = join(to, 'tsconfig.json');
  if (existsSync(tsconfig)) {
    const base = relative(to, join(o.root, 'tsconfig.base.json'));
    writeFileSync(
      tsconfig,
      readFileSync(tsconfig, 'utf8').replace(/"\.\.\/\.\.\/tsconfig\.base\.json"/, JSON.stringify(base)),
    );
  }
  return to;
}

/** Registers `new-stack` on the CLI. */
export function registerNewStack(program: Command, root: string): void {
  program
    .command('new-stack')
    .description(
      'scaffold a server workspace from a sibling: servers/<name> under its own id, ready to build and measure',
    )
    .argument('<name>', 'the new server id ([a-z0-9_-]+)')
    .requiredOption(
      '--like <server>',
      'the server workspace to copy (e.g. hono for an HTTP framework, fastapi for Python)',
    )
    .option('--dir <parent>', 'where the folder goes (default: servers/)')
    .action((name: string, flags: { like: string; dir?: string }) => {
      const to = newStack({ name, like: flags.like, root, ...(flags.dir ? { parent: flags.dir } : {}) });
      process.stdout.write(
        `created ${to}\nnext: npm install (links the workspace), replace the framework in src/app.ts and src/main.ts and its dependencies in package.json, then npx turbo run build test --filter=@servebench/server-${name}\n`,
      );
    });
}
