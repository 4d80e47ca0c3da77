import * as fs from 'fs';
import * as path from 'path';
import { EngineError } from './errors';
import { FileOp, applyOps, checkOps, treeOps } from './fileOps';
import { GitError, git } from './git';
import { zeroId } from './gitObjects';
import { readObjects } from './objects';
import { RepoLayout, readHead, resolveRef } from './repoLayout';
import { withRetry } from './retry';
import { Capture, RepoState, captureWithIndex } from './repoState';

/**
 * Bringing one repo to a goal state, split so a transaction can check everything first:
 * `prepareRestore` captures the current state, works out the file operations, checks their paths
 * and reads every needed object (so a missing one is found before anything changes);
 * `commitRestore` writes files, then the index, then HEAD and its branch (compare-and-swap).
 * The caller holds the repo's lock (repoLock.ts) across both.
 */
export interface PreparedRestore {
  root: string;
  capture: Capture;
  goal: RepoState;
  ops: FileOp[];
  blobs: Map<string, Buffer>;
}

/**
 * `knownOps`: the ops a plan worked out from this very state (the caller has checked the capture
 * matches the plan's starting state), which saves diffing the trees again.
 */
export async function prepareRestore(root: string, goal: RepoState, capture?: Capture, knownOps?: FileOp[]): Promise<PreparedRestore> {
  const cap = capture ?? (await captureWithIndex(root));
  try {
    const ops = knownOps ?? (await treeOps(root, cap.state.worktree, goal.worktree));
    await checkOps(root, ops);
    const wanted = ops.filter((o) => o.action === 'write').map((o) => o.blob!);
    const anchors = [goal.index, goal.worktree, ...(goal.head ? [goal.head] : [])];
    const objects = await readObjects(root, [...anchors, ...wanted]);
    const missing = [...objects].filter(([, o]) => o === undefined).map(([name]) => name);
    if (missing.length) throw new EngineError('MissingObject', `object ${missing[0]} is missing (${missing.length} in all); was the repo re-cloned or gc'd?`, root);
    const blobs = new Map(wanted.map((id) => [id, objects.get(id)!.content]));
    return { root, capture: cap, goal, ops, blobs };
  } catch (e) {
    if (!capture) await cap.release();
    throw e;
  }
}

/**
 * Applies a prepared restore. Files first, then the index, then refs, each step complete before
 * the next; each step is idempotent, so a transient failure (EBUSY, a ref lock held for a moment)
 * is retried with bounded backoff. `onRetry` counts retries for the evidence pack.
 */
export async function commitRestore(p: PreparedRestore, onRetry: () => void = () => undefined, onFile?: (op: FileOp) => void): Promise<void> {
  const { root, capture, goal, ops } = p;
  const env = { GIT_INDEX_FILE: capture.tempIndex };
  try {
    await withRetry(() => applyOps(root, ops, p.blobs, onFile), onRetry);
    // The temp index lists the old worktree with a valid stat cache. A one-tree reset makes it
    // goal.index while keeping the stat data of every entry whose blob and mode did not change;
    // the files just written get none and are hashed once by git's next look, as they must be.
    await withRetry(() => git(root, ['read-tree', '--reset', goal.index], { env }), onRetry);
    await withRetry(() => fs.promises.rename(capture.tempIndex, path.join(capture.layout.gitDir, 'index')), onRetry);
    await withRetry(() => setRefs(root, capture.layout, goal), onRetry);
  } catch (e) {
    throw e instanceof GitError ? e.toEngineError() : e;
  }
}

/**
 * Moves the branch (compare-and-swap against the value read just before, under our lock) and
 * points HEAD at the goal's branch, or detaches it. Branches the goal does not name are left alone.
 * Reads the refs afresh, so running it again after a partial success finishes the job.
 */
async function setRefs(root: string, layout: RepoLayout, goal: RepoState): Promise<void> {
  const now = await readHead(layout);
  const msg = ['-m', 'codecontext: restore'];
  try {
    if (goal.ref) {
      const current = goal.ref === now.ref ? now.head : await resolveRef(layout, goal.ref);
      if (current !== goal.head) {
        if (goal.head) await git(root, ['update-ref', ...msg, goal.ref, goal.head, current ?? zeroId]);
        else if (current) await git(root, ['update-ref', ...msg, '-d', goal.ref, current]);
      }
      if (now.ref !== goal.ref) await git(root, ['symbolic-ref', ...msg, 'HEAD', goal.ref]);
    } else if (now.ref !== null || now.head !== goal.head) {
      if (!goal.head) throw new EngineError('GitFailed', 'a detached HEAD without a commit cannot be restored', root);
      await git(root, ['update-ref', ...msg, '--no-deref', 'HEAD', goal.head]);
    }
  } catch (e) {
    throw e instanceof GitError ? e.toEngineError() : e;
  }
}

/** Same head, branch, index and worktree. */
export function sameState(a: RepoState, b: RepoState): boolean {
  return a.head === b.head && a.ref === b.ref && a.index === b.index && a.worktree === b.worktree;
}

/** A one-line account of how two states differ, naming a path where one is known. */
export async function describeDifference(root: string, actual: RepoState, expected: RepoState): Promise<{ message: string; path?: string }> {
  if (actual.worktree !== expected.worktree) {
    const ops = await treeOps(root, expected.worktree, actual.worktree);
    return { message: `worktree differs from the expected state (${ops.length} files)`, path: ops[0]?.path };
  }
  if (actual.index !== expected.index) return { message: 'index differs from the expected state' };
  if (actual.ref !== expected.ref) return { message: `HEAD points to ${actual.ref ?? 'a detached commit'}, expected ${expected.ref ?? 'detached'}` };
  return { message: `HEAD is ${actual.head ?? 'unborn'}, expected ${expected.head ?? 'unborn'}` };
}
