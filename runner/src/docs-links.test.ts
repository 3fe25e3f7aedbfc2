// The README links into docs/ and docs/ link into each other by heading anchors; moving or renaming a
// section must not leave a dead link. Links into results/ are left out: those files are the runner's
// output (report.png, for one, exists only where chromium ran `servebench report`).
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './discover.js';

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
export const slug = (heading: string): string =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/ /g, '-');

const withoutCode = (md: string): string => md.replace(/```[\s\S]*?```/g, '');

function anchors(md: string): Set<string> {
  const out = new Set<string>();
  for (const m of withoutCode(md).matchAll(/^#{1,6} (.+)$/gm)) out.add(slug(m[1]!));
  return out;
}

/** Dead relative links of one markdown file (path relative to root), as `file: link (why)`. */
export function deadLinks(root: string, file: string): string[] {
  const md = readFileSync(join(root, file), 'utf8');
  const dead: string[] = [];
  for (const m of withoutCode(md).matchAll(/\]\(([^)\s]+)\)/g)) {
    const link = m[1]!;
    if (/^[a-z]+:/.test(link)) continue;
    const [path = '', anchor] = link.split('#');
    const target = path ? normalize(join(dirname(file), path)) : file;
    if (relative('results', target).split('/')[0] !== '..') continue;
    if (!existsSync(join(root, target))) dead.push(`${file}: ${link} (no such file)`);
    else if (anchor && target.endsWith('.md') && !anchors(readFileSync(join(root, target), 'utf8')).has(anchor))
      dead.push(`${file}: ${link} (no such heading in ${target})`);
  }
  return dead;
}

describe('links in README.md, CONTRIBUTING.md and docs/', () => {
  it('point at files and headings that exist', () => {
    const root = repoRoot();
    const files = [
      'README.md',
      'CONTRIBUTING.md',
      ...readdirSync(join(root, 'docs'))
        .filter((f) => f.endsWith('.md'))
        .map((f) => join('docs', f)),
    ];
    expect(files.flatMap((f) => deadLinks(root, f))).toEqual([]);
  });

  it('slugs headings as GitHub does', () => {
    expect(slug('Placement, load CPU, ceilings, cost')).toBe('placement-load-cpu-ceilings-cost');
    expect(slug('Real models: Hugging Face checkpoints and ONNX exports')).toBe(
      'real-models-hugging-face-checkpoints-and-onnx-exports',
    );
    expect(slug('`run`')).toBe('run');
  });
});
