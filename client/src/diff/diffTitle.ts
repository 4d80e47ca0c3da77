import * as path from 'path';
import type { FileDiff } from './openFileDiff';

/**
 * A diff editor's title: "express/lib/utils.js (baseline ↔ step 1)", the repo's name then the file's
 * whole path in it (issue 25: "express/utils.js" could not tell two utils.js of one repo apart), then
 * the two sides, then "· added", "· deleted" or "· binary" when that is so. Pure: unit tests read it.
 */
export function diffTitle(diff: FileDiff, leftAbsent: boolean, rightAbsent: boolean): string {
  const name = `${diff.repoName ?? path.basename(diff.repo)}/${filePart(diff.path, diff.oldPath)}`;
  const notes = [leftAbsent && !rightAbsent ? 'added' : '', rightAbsent && !leftAbsent ? 'deleted' : '', diff.binary ? 'binary' : ''].filter(Boolean);
  return `${name} (${diff.leftLabel} ↔ ${diff.rightLabel})${notes.length ? ' · ' + notes.join(' · ') : ''}`;
}

/** The path in the repo; a rename within one folder names the folder once ("lib/a.js → b.js"), else both paths. */
function filePart(file: string, oldPath: string | undefined): string {
  if (!oldPath || oldPath === file) return file;
  const dir = path.posix.dirname(file);
  return path.posix.dirname(oldPath) === dir ? `${oldPath} → ${path.posix.basename(file)}` : `${oldPath} → ${file}`;
}
