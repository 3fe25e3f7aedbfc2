// The manual cannot drift from the CLI: every long flag that `--help` prints, on every command and
// subcommand, has a row in the flags tables of docs/runner.md, and every row there names a flag its
// command has. Reads the built CLI's own --help (as a user would), not commander's internals.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './discover.js';

const cli = new URL('../dist/cli.js', import.meta.url).pathname;
const DOC = join('docs', 'runner.md');

/** The entries of one section of commander's help ("Options:", "Commands:"): lines indented by exactly two
 * spaces start an entry; deeper ones continue its description. */
export function helpSection(text: string, name: string): string[] {
  const lines = text.split('\n');
  const start = lines.indexOf(`${name}:`);
  if (start < 0) return [];
  const out: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.trim() === '') break;
    if (/^ {2}\S/.test(line)) out.push(line.trim());
  }
  return out;
}

/** Long flags of one help text, without --help. */
export function helpFlags(text: string): string[] {
  return helpSection(text, 'Options')
    .map((e) => /^(?:-\w, )?(--[a-z0-9][a-z0-9-]*)/.exec(e)?.[1])
    .filter((f): f is string => f !== undefined && f !== '--help');
}

/** Command path ('run', 'k8s render') -> its long flags, for every command the CLI's help lists. */
async function cliFlags(): Promise<Map<string, string[]>> {
  const run = promisify(execFile);
  const out = new Map<string, string[]>();
  const walk = async (path: string[]): Promise<void> => {
    const { stdout } = await run(process.execPath, [cli, ...path, '--help'], { encoding: 'utf8' });
    if (path.length) out.set(path.join(' '), helpFlags(stdout));
    const subs = helpSection(stdout, 'Commands')
      .map((e) => e.split(' ')[0]!)
      .filter((c) => c !== 'help');
    await Promise.all(subs.map((c) => walk([...path, c])));
  };
  await walk([]);
  return out;
}

/** Command path -> the flags in the first column of the table under its "### `command`" heading, inside the
 * "## Flags" section of docs/runner.md. */
export function documentedFlags(markdown: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const start = markdown.indexOf('\n## Flags\n');
  if (start < 0) return out;
  let command: string | undefined;
  for (const line of markdown
    .slice(start + 1)
    .split('\n')
    .slice(1)) {
    if (line.startsWith('## ')) break;
    const heading = /^### `([^`]+)`/.exec(line);
    if (heading) {
      command = heading[1]!;
      out.set(command, []);
      continue;
    }
    const row = /^\| `(--[a-z0-9][a-z0-9-]*)/.exec(line);
    if (row && command) out.get(command)!.push(row[1]!);
  }
  return out;
}

/** What a reader of the docs would miss or be misled by: one line per command and flag. */
export function flagDrift(cli: Map<string, string[]>, docs: Map<string, string[]>): string[] {
  const drift: string[] = [];
  for (const [command, flags] of cli) {
    const documented = docs.get(command) ?? [];
    for (const f of flags) if (!documented.includes(f)) drift.push(`${command} ${f}: not documented in ${DOC}`);
  }
  for (const [command, flags] of docs) {
    const real = cli.get(command);
    if (!real) drift.push(`${command}: documented in ${DOC}, but the CLI has no such command`);
    else
      for (const f of flags)
        if (!real.includes(f)) drift.push(`${command} ${f}: documented, but --help has no such flag`);
  }
  return drift;
}

describe('docs/runner.md flags', () => {
  it('document every flag of every command, and only flags that exist', { timeout: 180_000 }, async () => {
    const fromCli = await cliFlags();
    const docs = documentedFlags(readFileSync(join(repoRoot(), DOC), 'utf8'));
    // The walk found the commands and their flags (a help format change must not make this pass vacuously).
    expect(fromCli.get('run')).toContain('--profile');
    expect(fromCli.get('k8s render')).toContain('--namespace');
    expect(flagDrift(fromCli, docs)).toEqual([]);
  });

  it('parses commander help: entries at two spaces, wrapped descriptions ignored', () => {
    const text = [
      'Usage: servebench x [options]',
      '',
      'Options:',
      '  --stacks <list>   comma-separated, e.g. see',
      '                    --not-a-flag in a wrapped line',
      '  --no-raw          skip the raw row',
      '  -h, --help        display help for command',
      '',
    ].join('\n');
    expect(helpFlags(text)).toEqual(['--stacks', '--no-raw']);
  });

  it('reports an undocumented flag, a documented flag that does not exist and an unknown command', () => {
    const docs = documentedFlags(
      [
        '# x',
        '',
        '## Flags',
        '',
        '### `run`',
        '',
        '| flag | meaning |',
        '|---|---|',
        '| `--gone <n>` | x |',
        '',
        '### `nope`',
        '',
        '| `--a` | x |',
        '',
        '## After',
        '',
        '| `--later` | x |',
      ].join('\n'),
    );
    expect(docs).toEqual(
      new Map([
        ['run', ['--gone']],
        ['nope', ['--a']],
      ]),
    );
    expect(flagDrift(new Map([['run', ['--profile']]]), docs)).toEqual([
      `run --profile: not documented in ${DOC}`,
      'run --gone: documented, but --help has no such flag',
      `nope: documented in ${DOC}, but the CLI has no such command`,
    ]);
  });
});
