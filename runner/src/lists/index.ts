// Every generated section, and the check that they are current. `servebench render-stacks` writes
// them; lists.test.ts fails when one is stale (a stack added or changed without re-rendering).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { discoverServers, type ServerSpec } from '../discover.js';
import { renderComposeServices, renderGpuServices } from './compose-services.js';
import { replaceSection, type CommentStyle } from './sections.js';
import { renderStacksTable } from './stacks-table.js';

interface Section {
  file: string;
  name: string;
  style: CommentStyle;
  content: string;
}

export function generatedSections(root: string, servers: ServerSpec[] = discoverServers(root)): Section[] {
  return [
    { file: 'docs/stacks.md', name: 'stacks', style: 'markdown', content: renderStacksTable(root, servers) },
    { file: 'compose/compose.yaml', name: 'servers', style: 'yaml', content: renderComposeServices(root, servers) },
    { file: 'compose/compose.gpu.yaml', name: 'servers', style: 'yaml', content: renderGpuServices(servers) },
  ];
}

/** Files whose generated sections differ from discovery. With write, brings them up to date. */
export function syncGenerated(root: string, o: { write: boolean }): string[] {
  const texts = new Map<string, string>();
  for (const s of generatedSections(root)) {
    const path = join(root, s.file);
    const text = texts.get(path) ?? readFileSync(path, 'utf8');
    texts.set(path, replaceSection(text, s.name, s.content, s.style));
  }
  const stale: string[] = [];
  for (const [path, text] of texts) {
    if (readFileSync(path, 'utf8') === text) continue;
    stale.push(path.slice(root.length + 1));
    if (o.write) writeFileSync(path, text);
  }
  return stale;
}
