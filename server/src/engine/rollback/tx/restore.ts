import * as fs from 'fs';
import * as path from 'path';
import { stageBlobs } from '../../git/staging';
import { EngineError } from '../../util/errors';
import { applyOps } from './worktreeOps';
import { FileOp, checkOps, treeOps } from '../plan/fileOps';
import { GitError, git } from '../../git/gitRunner';
import { looseObjectPath, zeroId } from '../../git/looseObjects';
import { indexTreeEntries } from '../../git/trees';
import { parseIndex, readIndexFile, resetIndexEntries, writeIndex } from '../../git/indexFile';
import { missingObjects } from '../../git/objectReader';
import { RepoLayout, readHead, resolveRef } from '../../git/repoLayout';
import { withRetry } from '../../git/retry';
import { renameFault } from '../../util/faults';
import { Capture, RepoState, assertRestorable, captureWithIndex, ensureStageFolder, sameState } from '../../repo/repoState';
import { plural } from '../../util/words';

/**
 * Bringing one repo to a goal state, split so a transaction can check everything first:
 * `prepareRestore` captures the current state, works out the file operations and checks their
 * paths, builds the next index, and writes every file to write into the stage folder, byte for
 * byte as the capture stored it (git/staging.ts: every needed object is proven present before
 * anything changes, and no filter or line-ending setting alters the bytes);
 * `commitRestore` then only renames: files, then the index, then moves HEAD and its branch
 * (compare-and-swap). The caller holds the repo's lock (repoLock.ts) across both.
 */
export interface PreparedRestore {
  root: string;
  capture: Capture;
  goal: RepoState;
  ops: FileOp[];
  /** The index to install: goal.index, with the stat data of unchanged entries kept. */
  nextIndex?: string;
  /** Where each file to write was checked out, by its path in the repo (emptied when the capture is released). */
  staged: Pick<ReadonlyMap<string, string>, 'get'>;
}

/**
 * `knownOps`: the ops a plan worked out from this very state (the caller has checked the capture
 * matches the plan's starting state), which saves diffing the trees again.
 */
export async function prepareRestore(root: string, goal: RepoState, capture?: Capture, knownOps?: FileOp[]): Promise<PreparedRestore> {
  const cap = capture ?? (await captureWithIndex(root));
  let staged: Pick<ReadonlyMap<string, string>, 'get'> = new Map<string, string>();
  try {
    assertRestorable(root, goal);
    const stageDir = ensureStageFolder(cap.layout);
    const ops = knownOps ?? (await treeOps(root, cap.state.worktree, goal.worktree));
    await checkOps(root, ops);
    if (sameState(cap.state, goal)) return { root, capture: cap, goal, ops: [], staged };
    const nextIndex = `${cap.scratch}.next`;
    // The next index is goal.index keeping the stat data of entries whose blob and mode do not
    // change: written here from the goal's tree listing (loose objects, or one ls-tree), else
    // (an index version or mode only git handles) by git's one-tree reset.
    const base = readIndexFile(cap.tempIndex);
    const parsed = base && parseIndex(base.bytes);
    const goalFiles = parsed && (await indexTreeEntries(root, path.join(cap.layout.commonDir, 'objects'), goal.index));
    const entries = goalFiles && resetIndexEntries(parsed, base.mtimeNs, goalFiles);
    if (entries) {
      writeIndex(nextIndex, entries);
    } else {
      fs.copyFileSync(cap.tempIndex, nextIndex);
      await git(root, ['read-tree', '--reset', goal.index], { env: { GIT_INDEX_FILE: nextIndex } });
    }
    const writes = ops.filter((o) => o.action === 'write');
    if (writes.length) {
      cap.staged = true;
      staged = await stageBlobs(
        root,
        cap.layout,
        stageDir,
        writes.map((o) => ({ path: o.path, mode: o.mode!, blob: o.blob! })),
      );
    }
    if (goal.head && goal.head !== cap.state.head && !hasLooseObject(cap.layout, goal.head)) {
      const missing = await missingObjects(root, [`${goal.head}^{commit}`]);
      if (missing.length) throw new EngineError('MissingObject', `commit ${goal.head} is missing; was the repo re-cloned or gc'd?`, root);
    }
    return { root, capture: cap, goal, ops, nextIndex, staged };
  } catch (e) {
    if (!capture) await cap.release();
    if (e instanceof GitError) {
      const err = e.toEngineError();
      throw err.code === 'GitFailed' ? new EngineError('MissingObject', `cannot prepare the files to write: ${e.message}`, root) : err;
    }
    throw e;
  }
}

/**
 * A loose commit is there (the usual case for a snapshot's HEAD, made recently): checked with one
 * stat instead of a process. A packed one is asked of git. The object is not parsed here; one
 * that is not a commit fails `update-ref` under our lock and the transaction compensates.
 */
function hasLooseObject(layout: RepoLayout, id: string): boolean {
  return fs.existsSync(looseObjectPath(path.join(layout.commonDir, 'objects'), id));
}

/**
 * Applies a prepared restore: renames only, then the refs. Each step is idempotent, so a transient
 * failure (EBUSY, a ref lock held for a moment) is retried with bounded backoff; `onRetry` counts
 * retries for the evidence pack.
 */
export async function commitRestore(
  p: PreparedRestore,
  onRetry: () => void = () => undefined,
  options: { onFile?: (op: FileOp) => void; guard?: (op: FileOp) => Promise<void> } = {},
): Promise<void> {
  const { root, capture, goal, ops, nextIndex } = p;
  if (!nextIndex) return;
  try {
    // a ref lock seen now would stop the refs after the files moved: wait for it (or give up) first
    await withRetry(async () => assertRefsFree(capture.layout, goal), onRetry);
    // the ops one attempt finished are not done again by the next (their staged files are gone)
    const done = new Set<string>();
    await withRetry(() => applyOps(root, ops, p.staged, options.onFile, options.guard, done), onRetry);
    await withRetry(async () => {
      renameFault();
      await fs.promises.rename(nextIndex, path.join(capture.layout.gitDir, 'index'));
    }, onRetry);
    await withRetry(() => setRefs(root, capture.layout, goal), onRetry);
  } catch (e) {
    throw e instanceof GitError ? e.toEngineError() : e;
  }
}

/** Refuses (as a transient lock) while HEAD or the goal's branch is locked by git. */
function assertRefsFree(layout: RepoLayout, goal: RepoState): void {
  const locks = [path.join(layout.gitDir, 'HEAD.lock'), ...(goal.ref ? [path.join(layout.commonDir, ...goal.ref.split('/')) + '.lock'] : [])];
  const held = locks.find((l) => fs.existsSync(l));
  if (held) throw new EngineError('RepositoryIsLocked', `${path.relative(layout.gitDir, held)} is held by another git process`, layout.root);
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

/** A one-line account of how two states differ, naming a path where one is known. */
export async function describeDifference(root: string, actual: RepoState, expected: RepoState): Promise<{ message: string; path?: string }> {
  if (actual.worktree !== expected.worktree) {
    const ops = await treeOps(root, expected.worktree, actual.worktree);
    return { message: `worktree differs from the expected state (${plural(ops.length, 'file')})`, path: ops[0]?.path };
  }
  if (actual.index !== expected.index) return { message: 'index differs from the expected state' };
  if (actual.ref !== expected.ref) return { message: `HEAD points to ${actual.ref ?? 'a detached commit'}, expected ${expected.ref ?? 'detached'}` };
  return { message: `HEAD is ${actual.head ?? 'unborn'}, expected ${expected.head ?? 'unborn'}` };
}
