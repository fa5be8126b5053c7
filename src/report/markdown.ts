/** Small helpers for GitHub-flavoured markdown that stays intact whatever the text holds. */

/** Text for a table cell or a heading: one line, pipes escaped, no HTML from the text. */
export function inline(s: string): string {
  return s
    .replace(/[\\`*_[\]#~]/g, (m) => `\\${m}`)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\|/g, '\\|')
    .replace(/\r?\n/g, ' ');
}

/** An inline code span that survives backticks in the text. */
export function code(s: string): string {
  const text = s.replace(/\r?\n/g, ' ');
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((m) => m.length));
  const fence = '`'.repeat(longest + 1);
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

/** A fenced block whose fence is longer than any run of backticks inside. */
export function fenced(text: string, lang = 'text'): string {
  const longest = Math.max(2, ...(text.match(/`+/g) ?? []).map((m) => m.length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}${lang}\n${text.replace(/\n$/, '')}\n${fence}`;
}

export function table(header: string[], rows: string[][], align?: ('l' | 'r' | 'c')[]): string {
  const sep = header.map((_, i) => {
    const a = align?.[i] ?? 'l';
    return a === 'r' ? '---:' : a === 'c' ? ':---:' : '---';
  });
  return [header, sep, ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
}

export function details(summary: string, body: string, open = false): string {
  return `<details${open ? ' open' : ''}><summary>${summary}</summary>\n\n${body}\n\n</details>`;
}

/** An inline code span inside a table cell: GFM splits cells at a pipe even in code. */
export function codeCell(s: string): string {
  return code(s).replace(/\|/g, '\\|');
}
