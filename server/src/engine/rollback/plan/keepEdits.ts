import { applyPatch, structuredPatch } from 'diff';
import type { Conflict } from './plan';
import type { FileOp } from './fileOps';
import { git } from '../../git/gitRunner';
import { EngineError } from '../../util/errors';
import { blobId } from '../../git/looseObjects';
import { isBinary, readObjects } from '../../git/objectReader';
import { TreeEdit } from '../../git/trees';
import { maxEdits } from './editedLines';
import { asBytes, asText, shownText } from './byteText';
import { ambiguousHunk } from './replay';

/**
 * What a rollback does with the files the user edited since the state drift is measured from (its
 * drift), instead of overwriting them (`force`, the safety snapshot keeps a copy):
 * - `leave`: those files stay exactly as they are; the rest of the repo rolls back.
 * - `merge`: the rollback's own change to each is undone around the user's edits (a 3-way merge
 *   of base → goal onto the file as it is now), as replay does for a campaign's steps; a file whose
 *   change does not merge cleanly is a conflict, and the plan refuses to run.
 */
export type KeepEdits = 'leave' | 'merge';

/** One drifted file: its entry at the drift base, now, and in the goal (null: no file). */
export interface DriftedFile {
  path: string;
  base: { mode: string; id: string } | null;
  now: { mode: string; id: string } | null;
  goal: { mode: string; id: string } | null;
}

/** The drifted files of a plan from its ops: `since` (base → now) and `ops` (now → goal), limited to `paths`. */
export function driftedFiles(since: readonly FileOp[], ops: readonly FileOp[], paths: ReadonlySet<string>): DriftedFile[] {
  const base = new Map(since.map((o) => [o.path, o]));
  const entry = (id: string | null, mode: string | null) => (id && mode ? { id, mode } : null);
  return ops
    .filter((o) => paths.has(o.path) && base.has(o.path))
    .map((o) => ({
      path: o.path,
      base: entry(base.get(o.path)!.fromBlob, base.get(o.path)!.fromMode),
      now: entry(o.fromBlob, o.fromMode),
      goal: entry(o.blob, o.mode),
    }));
}

/**
 * The goal's worktree edits that keep the user's edits of `files`, with what could not be kept.
 * Merged contents are written to the repo's objects before they are named in an edit.
 */
export async function keepEdits(
  repo: string,
  how: KeepEdits,
  files: readonly DriftedFile[],
): Promise<{ edits: TreeEdit[]; conflicts: Conflict[]; notes: string[] }> {
  const edits: TreeEdit[] = [];
  const conflicts: Conflict[] = [];
  const notes: string[] = [];
  if (files.length === 0) return { edits, conflicts, notes };
  if (how === 'leave') {
    for (const f of files) edits.push({ path: f.path, entry: f.now });
    notes.push(`left as they are, edited since: ${names(files.map((f) => f.path))}`);
    return { edits, conflicts, notes };
  }
  const ids = files.flatMap((f) => [f.base?.id, f.now?.id, f.goal?.id]).filter((x): x is string => !!x);
  const objects = await readObjects(repo, ids);
  const made = new Map<string, Buffer>();
  for (const f of files) {
    if (!f.base) {
      conflicts.push({
        path: f.path,
        reason: 'the rollback removed this file and it was created again since; keeping it and rolling back cannot both be done',
      });
      continue;
    }
    if (!f.now) {
      conflicts.push({ path: f.path, reason: 'deleted since; the change to undo has no file to go into' });
      continue;
    }
    if (!f.goal) {
      conflicts.push({ path: f.path, reason: 'rolling back removes this file, and it was edited since; removing it would lose those edits' });
      continue;
    }
    const [base, now, goal] = [objects.get(f.base.id)?.content, objects.get(f.now.id)?.content, objects.get(f.goal.id)?.content];
    if (!base || !now || !goal || isBinary(base) || isBinary(now) || isBinary(goal)) {
      conflicts.push({ path: f.path, reason: 'binary and edited since; the change to undo cannot be merged into it' });
      continue;
    }
    const patch = structuredPatch(f.path, f.path, asText(base), asText(goal), undefined, undefined, { context: 3, maxEditLength: maxEdits });
    if (!patch) {
      conflicts.push({ path: f.path, reason: `the change to undo rewrote the file (over ${maxEdits} lines); it cannot be undone around the later edits` });
      continue;
    }
    const ambiguous = ambiguousHunk(asText(now), patch.hunks);
    if (ambiguous) {
      conflicts.push({
        path: f.path,
        reason: `the lines to change back are at ${ambiguous.places} places now (lines ${ambiguous.lines.join(', ')}); which one is meant cannot be told`,
        hunk: shownText(ambiguous.hunk),
      });
      continue;
    }
    const result = applyPatch(asText(now), patch, { autoConvertLineEndings: false });
    const bytes = result === false ? undefined : asBytes(result);
    if (!bytes) {
      const h = patch.hunks[0];
      conflicts.push({
        path: f.path,
        reason: 'edited since where the change to undo is; it does not merge cleanly',
        hunk: h ? shownText([`@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@`, ...h.lines].join('\n')) : undefined,
      });
      continue;
    }
    const id = blobId(bytes);
    made.set(id, bytes);
    // the mode the rollback sets, unless the user changed it since
    const mode = f.now.mode !== f.base.mode ? f.now.mode : f.goal.mode;
    edits.push({ path: f.path, entry: { mode, id } });
  }
  if (conflicts.length) return { edits: [], conflicts, notes };
  for (const [id, bytes] of made) {
    const written = await git(repo, ['hash-object', '-w', '--stdin'], { input: bytes });
    if (written !== id) throw new EngineError('Internal', `git stored the merged content as ${written}, not ${id}`, repo);
  }
  notes.push(`edits made since are kept, the change undone around them: ${names(files.map((f) => f.path))}`);
  return { edits, conflicts, notes };
}

function names(paths: readonly string[]): string {
  return `${paths.slice(0, 5).join(', ')}${paths.length > 5 ? ` and ${paths.length - 5} more` : ''}`;
}
