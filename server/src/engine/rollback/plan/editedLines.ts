import { diffLines } from 'diff';
import { asText } from './byteText';

/** Past this many changed lines a file is taken as rewritten through and through (Myers' diff costs (N + M) × edits). */
export const maxEdits = 1000;

/**
 * The line numbers (1-based) of `now` that are not in `before`: lines someone added or changed.
 * All of them when there was no `before`. A diff too big to work out marks every line.
 */
export function editedLines(before: Buffer | undefined, now: Buffer): number[] {
  // byte for byte: two lines that differ only in bytes that are not UTF-8 are two lines
  const text = asText(now);
  const count = text === '' ? 0 : text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
  const all = () => Array.from({ length: count }, (_, i) => i + 1);
  if (!before) return all();
  const parts = diffLines(asText(before), text, { maxEditLength: maxEdits });
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
