// The stacks table of docs/stacks.md, from discovery: one row per server workspace.
import { relative } from 'node:path';
import type { ServerSpec } from '../discover.js';

const PROTOCOL: Record<ServerSpec['protocol'], string> = { http: 'HTTP/1.1', grpc: 'gRPC (HTTP/2)' };

/** Node servers first, then the Python peers, each by id. */
export const tableOrder = (servers: ServerSpec[]): ServerSpec[] =>
  [...servers].sort(
    (a, b) => Number(a.language === 'python') - Number(b.language === 'python') || a.id.localeCompare(b.id),
  );

export function renderStacksTable(root: string, servers: ServerSpec[]): string {
  const rows = tableOrder(servers).map((s) => {
    const backends = s.backends
      .map((b) => `\`${b}\`${b === 'ort' && s.language === 'python' ? ' (onnxruntime for Python)' : ''}`)
      .join(', ');
    const frameworks = Object.entries(s.frameworks ?? {})
      .map(([name, range]) => `\`${name}\` ${range}`.trim())
      .join(', ');
    return `| ${s.title ?? s.id} | \`${relative(root, s.dir)}\` | ${PROTOCOL[s.protocol]} | ${backends} | ${frameworks || '(shared core only)'} |`;
  });
  return [
    `<!-- generated from each server's package.json by \`node runner/dist/cli.js render-stacks\`; do not edit by hand -->`,
    '',
    '| server | folder | protocol | backends | packages (as declared) |',
    '|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}
