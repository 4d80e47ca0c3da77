import * as fs from 'fs';
import * as path from 'path';
import { randomHex } from '../../util/canonical';
import { EngineError } from '../../util/errors';
import { Mode } from '../../git/looseObjects';
import { lstatOrNone } from '../../util/quickFs';
import { fsPath } from '../../util/pathBytes';
import { faultPoint, renameFault } from '../../util/faults';
import { FileOp, parentOf } from '../plan/fileOps';

/**
 * Applies ops to the worktree: deletions first (then folders they emptied), then writes. Every
 * file to write was written beforehand into the stage folder, the captured bytes exactly
 * (`staged` says where; git/staging.ts), and is now renamed over its target:
 * a watcher sees the old file or the new one, never half of one. Renames and unlinks stay
 * asynchronous: freeing a replaced file's blocks can wait on the disk (a discard), and that wait
 * belongs on the thread pool, not on the thread every repo's work goes through.
 */
export async function applyOps(
  repo: string,
  ops: readonly FileOp[],
  staged: ReadonlyMap<string, string>,
  onFile?: (op: FileOp) => void,
  guard?: (op: FileOp) => Promise<void>,
  /** Ops finished by an earlier attempt (a retry after EBUSY): skipped, and each one finished now is added. */
  done: Set<string> = new Set(),
): Promise<void> {
  // A repo moved or deleted under us: its folders must not be made again at the old path
  // (mkdir -p would), and nothing is written there.
  if (!lstatOrNone(path.join(repo, '.git'))) throw new EngineError('RepoMissing', 'repository not found (deleted or moved?)', repo);
  // Within each step the files are independent, so their renames and unlinks are in flight
  // together: one after another, a repo on a long dependency chain waited for each in turn.
  const emptied = new Set<string>();
  const deletions = ops.filter((op) => op.action === 'delete');
  await Promise.all(
    deletions.map(async (op) => {
      if (done.has(op.path)) return;
      const abs = fsPath(repo, op.path);
      await guard?.(op);
      const st = lstatOrNone(abs);
      if (st?.isDirectory()) {
        // a gitlink (nested repo) is not ours to delete; git would leave it as well
        if (op.fromMode !== Mode.gitlink) throw new EngineError('GitFailed', 'expected a file but found a folder', repo, op.path);
      } else if (st) {
        await fs.promises.unlink(abs);
      }
      emptied.add(parentOf(op.path));
      done.add(op.path);
      faultPoint('fileop');
      onFile?.(op);
    }),
  );
  for (const dir of [...emptied].sort((a, b) => b.length - a.length)) await pruneEmpty(repo, dir);
  const made = new Set<string>();
  const writes = ops.filter((op) => op.action !== 'delete');
  for (const op of writes) {
    // folders first, synchronously and once each, so the renames below find them
    const dir = parentOf(op.path);
    if (op.action === 'write' && !made.has(dir)) {
      fs.mkdirSync(fsPath(repo, dir), { recursive: true });
      made.add(dir);
    }
  }
  await Promise.all(
    writes.map(async (op) => {
      if (done.has(op.path)) return;
      const abs = fsPath(repo, op.path);
      await guard?.(op);
      if (op.action === 'gitlink') await fs.promises.mkdir(abs, { recursive: true });
      else if (op.action === 'chmod') await fs.promises.chmod(abs, op.mode === Mode.exec ? 0o755 : 0o644);
      else {
        const from = staged.get(op.path);
        if (!from) throw new EngineError('GitFailed', 'no checked-out file to write', repo, op.path);
        await moveInto(from, abs);
      }
      done.add(op.path);
      faultPoint('fileop');
      onFile?.(op);
    }),
  );
}

/** Renames a staged file over its target; across filesystems, copies it beside the target first. */
async function moveInto(staged: string, abs: string | Buffer): Promise<void> {
  try {
    renameFault();
    await fs.promises.rename(staged, abs);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
    const beside = Buffer.concat([typeof abs === 'string' ? Buffer.from(abs) : abs, Buffer.from(`.cc-${randomHex(4)}`)]);
    try {
      const st = await fs.promises.lstat(staged);
      if (st.isSymbolicLink()) await fs.promises.symlink(await fs.promises.readlink(staged), beside);
      else await fs.promises.copyFile(staged, beside);
      await fs.promises.rename(beside, abs);
    } catch (err) {
      await fs.promises.rm(beside, { force: true });
      throw err;
    }
  }
}

async function pruneEmpty(repo: string, rel: string): Promise<void> {
  for (let d = rel; d !== ''; d = parentOf(d)) {
    try {
      fs.rmdirSync(fsPath(repo, d));
    } catch {
      return; // not empty (an ignored file lives there, or a sibling) or already gone
    }
  }
}
