import { EngineError, asEngineError } from '../../util/errors';
import { Capture, RepoState, captureRepoState, captureWithIndex } from '../../repo/repoState';
import { pinStateAt } from '../../snapshot/snapshot';
import { FileGuards, diskBlob, guardCheck, takeGuards } from './fileGuard';
import { FileOp, treeOps } from '../plan/fileOps';
import { commitRestore, prepareRestore } from './restore';

/**
 * Putting a repo back to its safety state after a transaction changed some of it: the one way,
 * used by a failed commit or verify, by recovery after a crash, and by the stress checks.
 *
 * Capture first: the repo's present state is captured (`git add -A` into a temporary index
 * writes every visible file's bytes as objects) and pinned under `refs/codecontext/captures/`
 * before anything changes, so every byte the repo held is reachable afterwards.
 *
 * Only what the transaction did is undone: a path goes back to its safety bytes only when it holds
 * exactly what the rollback wrote there (its goal). A path that holds anything else was written by
 * another process, during the rollback or between a crash and recovery: it is **kept** as it is
 * and reported, never overwritten. The index, HEAD and branch go back to the safety state.
 */
export interface CompensationInput {
  path: string;
  /** Where the repo was before the transaction (its safety snapshot's state). */
  safety: RepoState;
  /** Where the transaction was taking it. */
  goal: RepoState;
}

export interface CompensationOutcome {
  repo: string;
  /** Paths another process changed, left as they are. */
  kept: string[];
  /** Where the present state was pinned before anything changed (undefined: nothing to change). */
  pinned?: { ref: string; state: RepoState };
  /** HEAD was moved by someone else since the transaction (a commit): it is in the pin. */
  headMoved: boolean;
  /** The repo's state after (a remote step has none). */
  after?: RepoState;
}

/** What compensation would do in a repo whose present state is `now`: the ops, and the paths it keeps. */
export async function compensationOps(input: CompensationInput, now: RepoState): Promise<{ ops: FileOp[]; kept: string[]; headMoved: boolean }> {
  const headMoved = now.head !== input.safety.head && now.head !== input.goal.head;
  if (now.worktree === input.safety.worktree) return { ops: [], kept: [], headMoved };
  const back = await treeOps(input.path, now.worktree, input.safety.worktree);
  // paths that are not what the rollback wrote: someone else's (or never reached by the commit,
  // and then also equal to the safety bytes, so not in `back`)
  const notOurs = new Set((await treeOps(input.path, input.goal.worktree, now.worktree)).map((o) => o.path));
  const kept = back.filter((o) => notOurs.has(o.path)).map((o) => o.path);
  const keptSet = new Set(kept);
  const ops: FileOp[] = [];
  for (const o of back) {
    if (keptSet.has(o.path)) continue;
    // a file the capture does not see (ignored under the rules on disk now) that already holds
    // the safety bytes was never touched: there is nothing to write, and it is not in the way
    if (o.action === 'write' && o.fromBlob === null && (await diskBlob(input.path, o.path)) === o.blob) continue;
    ops.push(o);
  }
  return { ops, kept, headMoved };
}

/**
 * Compensates one repo, whose lock the caller holds. `pinRef` names the ref the capture is pinned
 * under. A file written by another process while this runs stops that attempt (ConcurrentWrite);
 * the repo is captured again and the file kept, a few times at most.
 */
export async function compensateRepo(input: CompensationInput, pinRef: string, onRetry: () => void = () => undefined): Promise<CompensationOutcome> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 4; attempt++) {
    // the guard's stat comes before the capture reads the files (fileGuard.ts says why)
    const paths = await pathsTheRollbackTouches(input);
    const guards: FileGuards = takeGuards(input.path, paths);
    let capture: Capture | undefined;
    try {
      capture = await captureWithIndex(input.path);
      const now = capture.state;
      const { ops, kept, headMoved } = await compensationOps(input, now);
      const changes = ops.length > 0 || now.index !== input.safety.index || now.head !== input.safety.head || now.ref !== input.safety.ref;
      if (!changes) return { repo: input.path, kept, headMoved, after: now };
      const pinned = { ref: `${pinRef}`, state: now };
      await pinStateAt({ path: input.path, ...now }, pinRef, `codecontext: the state before compensation (${pinRef})`);
      const prepared = await prepareRestore(input.path, input.safety, capture, ops);
      await commitRestore(prepared, onRetry, { guard: guardCheck(input.path, guards) });
      await capture.release();
      capture = undefined;
      const after = await captureRepoState(input.path);
      await checkCompensated(input, after, kept);
      return { repo: input.path, kept, pinned, headMoved, after };
    } catch (e) {
      lastError = e;
      if (!(e instanceof EngineError && e.code === 'ConcurrentWrite')) throw asEngineError(e, input.path);
      onRetry();
    } finally {
      await capture?.release();
    }
  }
  throw asEngineError(lastError, input.path);
}

/** Every path the transaction may have changed: those where its goal and the safety state differ. */
async function pathsTheRollbackTouches(input: CompensationInput): Promise<string[]> {
  return (await treeOps(input.path, input.safety.worktree, input.goal.worktree)).map((o) => o.path);
}

/** After compensation: HEAD, branch and index are the safety state's, and the worktree differs only in kept paths. */
async function checkCompensated(input: CompensationInput, after: RepoState, kept: readonly string[]): Promise<void> {
  const { safety } = input;
  if (after.head !== safety.head || after.ref !== safety.ref || after.index !== safety.index) {
    throw new EngineError('VerifyFailed', 'could not return HEAD, branch and index to the safety state', input.path);
  }
  if (after.worktree === safety.worktree) return;
  const keptSet = new Set(kept);
  const off = (await treeOps(input.path, after.worktree, safety.worktree)).find((o) => !keptSet.has(o.path));
  if (off) throw new EngineError('VerifyFailed', 'could not return the file to the safety state', input.path, off.path);
}
