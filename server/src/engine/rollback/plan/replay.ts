import { applyPatch, structuredPatch } from 'diff';
import { StoredChangeRecord } from '../../campaign/campaign';
import type { Conflict } from './plan';
import { git } from '../../git/gitRunner';
import { EngineError } from '../../util/errors';
import { blobId } from '../../git/looseObjects';
import { isBinary, readObjects } from '../../git/objectReader';
import { TreeEdit, buildTree, listTree } from '../../git/trees';
import { RepoState } from '../../repo/repoState';
import { ResolvedTarget } from './target';
import { maxEdits } from './editedLines';
import { asBytes, asText, shownText } from './byteText';

type Entry = { mode: string; id: string };

/**
 * Replay mode: the goal is the current state with the inverse of each recorded change applied,
 * newest step first. A file that is exactly what the change left gets exactly what was there
 * before; a file edited since is patched with the change's inverse, keeping the other edits; an
 * inverse that does not apply is a conflict (and then the goal is the current state: nothing moves).
 */
export async function planReplayGoal(
  repo: string,
  target: ResolvedTarget,
  current: RepoState,
  worktreeIndex: string,
  matches: (p: string) => boolean,
  records: readonly StoredChangeRecord[],
  narrowed = false,
): Promise<{ goal: RepoState; conflicts: Conflict[]; notes: string[]; leftOut: string[] }> {
  const notes: string[] = [];
  const conflicts: Conflict[] = [];
  const chosen = (r: StoredChangeRecord) => matches(r.path) || (r.oldPath !== undefined && matches(r.oldPath));
  const mine = records.filter((r) => r.repo === repo && chosen(r)).sort((a, b) => b.step - a.step);
  // narrowed: the files of the steps undone that this plan leaves as they are (the evidence of a partial rollback names them)
  const leftOut = narrowed ? [...new Set(records.filter((r) => r.repo === repo && !chosen(r)).map((r) => r.path))].sort() : [];
  // The campaign's own staging and commits show in the index and HEAD, not in change records.
  // `--only-step N`: the state step N left is what its index and HEAD changes are measured from.
  const last = (target.onlyStep?.after ?? target.lastCheckpoint)?.repos.find((r) => r.path === repo);
  const recorded = target.snapshot.repos.find((r) => r.path === repo)!;
  const movedIndexOrHead = !!last && (last.index !== recorded.index || last.head !== recorded.head || last.ref !== recorded.ref);
  if (mine.length === 0 && !movedIndexOrHead) return { goal: current, conflicts, notes, leftOut };

  const worktree = await entriesByPath(repo, current.worktree);
  const virtual = new Map(worktree);
  const ids = mine.flatMap((r) => [r.oldBlob, r.newBlob, worktree.get(r.path)?.id, r.oldPath ? worktree.get(r.oldPath)?.id : undefined]);
  const objects = await readObjects(
    repo,
    ids.filter((x): x is string => !!x),
  );
  const made = new Map<string, Buffer>();
  const content = (id: string) => made.get(id) ?? objects.get(id)?.content;

  /** Inverse of (new → old) applied to `cur`: the id of the result, or a conflict. */
  const invert = (r: StoredChangeRecord, cur: Entry, at: string): string | undefined => {
    if (cur.id === r.newBlob) return r.oldBlob ?? undefined;
    if (r.oldBlob === r.newBlob) return cur.id; // a mode-only change: content is not ours to touch
    const [mine, before, after] = [content(cur.id), r.oldBlob ? content(r.oldBlob) : Buffer.alloc(0), r.newBlob ? content(r.newBlob) : Buffer.alloc(0)];
    if (!mine || !before || !after || isBinary(mine) || isBinary(before) || isBinary(after)) {
      conflicts.push({ path: at, reason: `step ${r.step}: changed since the campaign and binary; its inverse cannot be merged` });
      return undefined;
    }
    const inverse = structuredPatch(at, at, asText(after), asText(before), undefined, undefined, { context: 3, maxEditLength: maxEdits });
    if (!inverse) {
      conflicts.push({
        path: at,
        reason: `step ${r.step}: rewrote the file (over ${maxEdits} lines) and it was edited since; that rewrite cannot be undone around the later edits`,
      });
      return undefined;
    }
    const ambiguous = ambiguousHunk(asText(mine), inverse.hunks);
    if (ambiguous) {
      conflicts.push({
        path: at,
        reason:
          `step ${r.step}: changed since the campaign, and the lines the change left are no longer where it left them but at ${ambiguous.places} ` +
          `places (lines ${ambiguous.lines.join(', ')}); which one is the campaign's cannot be told`,
        hunk: shownText(ambiguous.hunk),
      });
      return undefined;
    }
    // line ends as they are: converting the patch's to the file's would rewrite lines it does not change
    const result = applyPatch(asText(mine), inverse, { autoConvertLineEndings: false });
    if (result === false) {
      const hunk = inverse.hunks[0];
      conflicts.push({
        path: at,
        reason: `step ${r.step}: changed since the campaign; the inverse does not apply cleanly`,
        hunk: hunk ? shownText([`@@ -${hunk.oldStart},${hunk.oldLines} +${hunk.newStart},${hunk.newLines} @@`, ...hunk.lines].join('\n')) : undefined,
      });
      return undefined;
    }
    const bytes = asBytes(result);
    if (!bytes) {
      conflicts.push({ path: at, reason: `step ${r.step}: merging the inverse gave text that is not the file's bytes; not written` });
      return undefined;
    }
    const id = blobId(bytes);
    made.set(id, bytes);
    notes.push(`${at}: edits made after the campaign are kept`);
    return id;
  };

  for (const r of mine) {
    const cur = virtual.get(r.path);
    const oldMode = (c: Entry) => (c.mode === r.newMode ? r.oldMode! : c.mode);
    if (r.kind === 'added') {
      if (!cur) notes.push(`${r.path}: already removed`);
      else if (cur.id === r.newBlob) virtual.delete(r.path);
      else conflicts.push({ path: r.path, reason: `step ${r.step} added this file and it was edited since; removing it would lose those edits` });
    } else if (r.kind === 'deleted') {
      if (!cur) virtual.set(r.path, { mode: r.oldMode!, id: r.oldBlob! });
      else if (cur.id !== r.oldBlob) conflicts.push({ path: r.path, reason: `step ${r.step} deleted this file and another was created here since` });
    } else if (r.kind === 'renamed') {
      const from = r.oldPath!;
      if (!cur) conflicts.push({ path: r.path, reason: `step ${r.step} renamed ${from} to this file, which is gone since` });
      else if (virtual.has(from)) conflicts.push({ path: from, reason: `step ${r.step} renamed this file away and a new one was created here since` });
      else {
        const id = invert(r, cur, r.path);
        if (id) {
          virtual.delete(r.path);
          virtual.set(from, { mode: oldMode(cur), id });
        }
      }
    } else {
      if (!cur) conflicts.push({ path: r.path, reason: `step ${r.step} changed this file and it was deleted since` });
      else {
        const id = invert(r, cur, r.path);
        if (id) virtual.set(r.path, { mode: oldMode(cur), id });
      }
    }
  }
  if (conflicts.length) return { goal: current, conflicts, notes, leftOut };

  for (const [id, bytes] of made) {
    const written = await git(repo, ['hash-object', '-w', '--stdin'], { input: bytes });
    if (written !== id) throw new EngineError('Internal', `git stored the merged content as ${written}, not ${id}`, repo);
  }
  const touched = new Set(mine.flatMap((r) => (r.oldPath ? [r.path, r.oldPath] : [r.path])));
  const worktreeEdits = [...touched].filter((p) => !sameEntry(worktree.get(p), virtual.get(p))).map((p) => edit(p, virtual.get(p)));
  // from the capture's index of the worktree (it stands for current.worktree): a copy costs less than a read-tree
  const goalWorktree = await buildTree(repo, worktreeIndex, { indexFile: worktreeIndex }, worktreeEdits);

  // Index: a touched path goes back to the target's staged entry, unless someone staged
  // something else for it after the campaign's last checkpoint.
  const [curIdx, lastIdx, tgtIdx] = await Promise.all([
    entriesByPath(repo, current.index),
    entriesByPath(repo, last?.index ?? current.index),
    entriesByPath(repo, recorded.index),
  ]);
  const indexEdits: TreeEdit[] = [];
  // Paths the campaign staged (or committed) without changing their worktree content go back too.
  const staged = new Set(touched);
  if (last) for (const p of new Set([...lastIdx.keys(), ...tgtIdx.keys()])) if (matches(p) && !sameEntry(lastIdx.get(p), tgtIdx.get(p))) staged.add(p);
  for (const p of staged) {
    if (!sameEntry(curIdx.get(p), lastIdx.get(p))) {
      notes.push(`${p}: staged after the campaign; the staged version is kept`);
      continue;
    }
    if (!sameEntry(curIdx.get(p), tgtIdx.get(p))) indexEdits.push(edit(p, tgtIdx.get(p)));
  }
  const goalIndex = await buildTree(repo, worktreeIndex, { tree: current.index }, indexEdits);

  let head = current.head;
  let ref = current.ref;
  if (narrowed) {
    if (last && (recorded.head !== last.head || recorded.ref !== last.ref)) notes.push('limited to the given paths: HEAD and branch are left as they are');
  } else if (last && last.head === current.head && last.ref === current.ref) {
    head = recorded.head;
    ref = recorded.ref;
  } else if (last && (recorded.head !== last.head || recorded.ref !== last.ref)) {
    notes.push(`HEAD moved since ${target.onlyStep ? `step ${target.onlyStep.n}` : 'the campaign'}; HEAD and branch are left as they are`);
  }
  return { goal: { head, ref, index: goalIndex, worktree: goalWorktree }, conflicts, notes, leftOut };
}

type Hunk = ReturnType<typeof structuredPatch>['hunks'][number];

/**
 * The first hunk that would be applied by a guess: it no longer matches where the change left it
 * (after the shift of the hunks before it) and matches at more than one other place. Applying a
 * patch looks for a moved hunk at the nearest place that matches, which, with two identical
 * blocks, can be the user's block instead of the campaign's.
 */
export function ambiguousHunk(text: string, hunks: readonly Hunk[]): { places: number; lines: number[]; hunk: string } | undefined {
  const lines = text.split('\n');
  let shift = 0;
  let from = 0;
  for (const h of hunks) {
    const old = h.lines.filter((l) => l[0] === ' ' || l[0] === '-').map((l) => l.slice(1));
    if (old.length === 0) continue; // a pure insertion at a line: nothing to find
    const at = (pos: number) => pos >= 0 && pos + old.length <= lines.length && old.every((l, i) => lines[pos + i] === l);
    const expected = h.oldStart - 1 + shift;
    let pos: number;
    if (at(expected)) pos = expected;
    else {
      const found: number[] = [];
      for (let p = from; p + old.length <= lines.length; p++) if (at(p)) found.push(p);
      if (found.length > 1) {
        return {
          places: found.length,
          lines: found.map((p) => p + 1),
          hunk: [`@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@`, ...h.lines].join('\n'),
        };
      }
      if (found.length === 0) return undefined; // does not apply at all: the patch says so itself
      pos = found[0];
    }
    shift = pos - (h.oldStart - 1);
    from = pos + old.length;
  }
  return undefined;
}

async function entriesByPath(repo: string, tree: string): Promise<Map<string, Entry>> {
  return new Map((await listTree(repo, tree)).map((e) => [e.path, { mode: e.mode, id: e.id }]));
}

function sameEntry(a: Entry | undefined, b: Entry | undefined): boolean {
  return a?.id === b?.id && a?.mode === b?.mode;
}

function edit(p: string, e: Entry | undefined): TreeEdit {
  return { path: p, entry: e ?? null };
}
