// `servebench render-stacks [--check]`: writes (or checks) every section generated from discovery.
import type { Command } from 'commander';
import { syncGenerated } from './index.js';

export function registerRenderStacks(program: Command, root: string): void {
  program
    .command('render-stacks')
    .description(
      'regenerate the sections kept from discovery: the stacks table in docs/stacks.md and the server services of compose/compose.yaml and compose.gpu.yaml',
    )
    .option('--check', 'write nothing; exit 1 and name the stale files if any section is out of date')
    .action((flags: { check?: boolean }) => {
      const stale = syncGenerated(root, { write: !flags.check });
      if (stale.length === 0) {
        process.stdout.write('generated sections are up to date\n');
      } else if (flags.check) {
        process.stderr.write(`stale: ${stale.join(', ')}; run: node runner/dist/cli.js render-stacks\n`);
        process.exitCode = 1;
      } else {
        process.stdout.write(`updated ${stale.join(', ')}\n`);
      }
    });
}
