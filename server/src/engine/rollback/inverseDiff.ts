import { quotePatchName } from '../util/pathBytes';
import { diffLines, structuredPatch } from 'diff';
import { sha256 } from '../util/canonical';
import { FileOp } from './worktreeOps';
import { isBinary } from '../git/objectReader';

/**
 * The inverse diff of one file: the git-style unified diff that takes its current content to what
 * the rollback will write. Deterministic: the same two contents always give the same bytes.
 */
export interface InverseDiff {
  path: string;
  patch: string;
  added: number;
  removed: number;
  binary: boolean;
  /** sha256 of `patch`, kept in evidence packs. */
  hash: string;
}

export function inverseDiff(op: FileOp, current: Buffer | undefined, target: Buffer | undefined): InverseDiff {
  // names as git writes them in a patch: quoted, odd bytes as octal escapes
  const q = (prefix: string) => quotePatchName(prefix + op.path);
  const header = [`diff --git ${q('a/')} ${q('b/')}`];
  if (op.fromMode === null && op.mode) header.push(`new file mode ${op.mode}`);
  else if (op.mode === null && op.fromMode) header.push(`deleted file mode ${op.fromMode}`);
  else if (op.fromMode !== op.mode) header.push(`old mode ${op.fromMode}`, `new mode ${op.mode}`);
  const oldName = op.fromBlob ? q('a/') : '/dev/null';
  const newName = op.blob && op.action !== 'delete' ? q('b/') : '/dev/null';
  let body = '';
  let added = 0;
  let removed = 0;
  const binary = (current !== undefined && isBinary(current)) || (target !== undefined && isBinary(target));
  if (op.action === 'gitlink') {
    body = `-Subproject commit ${op.fromBlob ?? ''}\n+Subproject commit ${op.blob}\n`;
  } else if (binary) {
    body = `Binary files ${oldName} and ${newName} differ\n`;
  } else if (op.action !== 'chmod') {
    const [from, to] = [current?.toString('utf8') ?? '', target?.toString('utf8') ?? ''];
    // a file rewritten through and through is one hunk: Myers' diff costs (N + M) × edits, and
    // on a few thousand changed lines that was seconds per file for a diff that says "all of it"
    const patch = structuredPatch(oldName, newName, from, to, undefined, undefined, { context: 3, maxEditLength: maxEdits }) ?? {
      hunks: [wholeFile(from, to)],
    };
    const lines: string[] = [];
    if (patch.hunks.length) lines.push(`--- ${oldName}`, `+++ ${newName}`);
    for (const h of patch.hunks) {
      lines.push(`@@ -${range(h.oldStart, h.oldLines)} +${range(h.newStart, h.newLines)} @@`);
      for (const l of h.lines) {
        if (l.startsWith('+')) added++;
        else if (l.startsWith('-')) removed++;
        lines.push(l);
      }
    }
    body = lines.length ? lines.join('\n') + '\n' : '';
  }
  const text = header.join('\n') + '\n' + body;
  return { path: op.path, patch: text, added, removed, binary, hash: sha256(text) };
}

/** Past this many changed lines a diff is shown as the whole file replaced. */
export const maxEdits = 1000;

/** The hunk that replaces all of `from` with all of `to`, marking a last line without a newline as git does. */
export function wholeFile(from: string, to: string): { oldStart: number; oldLines: number; newStart: number; newLines: number; lines: string[] } {
  const side = (text: string, sign: string): string[] => {
    if (!text) return [];
    const rows = text.split('\n');
    const complete = text.endsWith('\n');
    if (complete) rows.pop();
    const out = rows.map((r) => sign + r);
    if (!complete) out.push('\\ No newline at end of file');
    return out;
  };
  const [minus, plus] = [side(from, '-'), side(to, '+')];
  const count = (l: string[]) => l.filter((x) => x[0] !== '\\').length;
  return { oldStart: count(minus) ? 1 : 0, oldLines: count(minus), newStart: count(plus) ? 1 : 0, newLines: count(plus), lines: [...minus, ...plus] };
}

function range(start: number, count: number): string {
  return count === 1 ? String(start) : `${count === 0 ? Math.max(0, start) : start},${count}`;
}

/**
 * The line numbers (1-based) of `now` that are not in `before`: lines someone added or changed.
 * All of them when there was no `before`. A diff too big to work out marks every line.
 */
export function editedLines(before: Buffer | undefined, now: Buffer): number[] {
  const text = now.toString('utf8');
  const count = text === '' ? 0 : text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
  const all = () => Array.from({ length: count }, (_, i) => i + 1);
  if (!before) return all();
  const parts = diffLines(before.toString('utf8'), text, { maxEditLength: maxEdits });
  if (!parts) return all();
  const out: number[] = [];
  let line = 1;
  for (const p of parts) {
    const n = p.count ?? 0;
    if (p.removed) continue;
    if (p.added) for (let i = 0; i < n; i++) out.push(line + i);
    line += n;
  }
  return out;
}
