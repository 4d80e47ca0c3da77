import * as path from 'path';
import { ChangeCounts } from '../engine/git/treeChanges';

export { plural } from '../engine/util/words';

/** Text helpers for the CLI's human output; --json output never goes through here. */

export function shortId(id: string | null | undefined, n = 10): string {
  return id ? id.slice(0, n) : '-';
}

export function table(rows: readonly (readonly string[])[]): string {
  if (rows.length === 0) return '';
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function countsLine(c: ChangeCounts): string {
  const parts = [
    c.added && `${c.added} added`,
    c.modified && `${c.modified} modified`,
    c.deleted && `${c.deleted} deleted`,
    c.renamed && `${c.renamed} renamed`,
    c.mode && `${c.mode} mode`,
  ].filter(Boolean);
  return `${parts.length ? parts.join(', ') : 'no file changes'}; +${c.linesAdded} -${c.linesRemoved}`;
}

export function when(iso: string): string {
  return iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '-';
}

/** A repo path as the user will recognise it: relative to the current folder when below it. */
export function displayPath(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel === '' ? '.' : rel.startsWith('..') || path.isAbsolute(rel) ? p : rel;
}

export function branchName(ref: string | null): string {
  return ref ? ref.replace(/^refs\/heads\//, '') : '(detached)';
}
