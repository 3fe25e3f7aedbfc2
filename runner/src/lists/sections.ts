// Generated sections inside hand-written files (docs, compose files): the lines between the
// `servebench:<name>:begin` and `servebench:<name>:end` marker lines, which stay as they are.

export type CommentStyle = 'markdown' | 'yaml';

export const markers = (name: string, style: CommentStyle): [string, string] =>
  style === 'markdown'
    ? [`<!-- servebench:${name}:begin -->`, `<!-- servebench:${name}:end -->`]
    : [`# servebench:${name}:begin`, `# servebench:${name}:end`];

/**
 * Replaces the lines between the section's marker lines with content. Throws, naming the markers,
 * when the file lacks them: a generated section is never added silently.
 */
export function replaceSection(text: string, name: string, content: string, style: CommentStyle): string {
  const [begin, end] = markers(name, style);
  const lines = text.split('\n');
  const a = lines.findIndex((l) => l.trim().startsWith(begin));
  const b = lines.findIndex((l, i) => i > a && l.trim().startsWith(end));
  if (a < 0 || b < 0) throw new Error(`no ${begin} ... ${end} lines`);
  return [...lines.slice(0, a + 1), ...content.replace(/\n+$/, '').split('\n'), ...lines.slice(b)].join('\n');
}
