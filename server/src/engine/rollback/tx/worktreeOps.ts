import * as fs from 'fs';
import * as path from 'path';
import { randomHex } from '../../util/canonical';
import { EngineError } from '../../util/errors';
import { Mode } from '../../git/looseObjects';
import { lstatOrNone } from '../../util/quickFs';
import { fsPath, showPath } from '../../util/pathBytes';
import { faultPoint, renameFault } from '../../util/faults';
import { FileOp, parentOf } from '../plan/fileOps';
import { mapLimit } from '../../util/pool';

/** Renames and unlinks in flight at once in one repo: far more than the thread pool runs. */
const inFlight = 128;

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
  staged: Pick<ReadonlyMap<string, string>, 'get'>,
  onFile?: (op: FileOp) => void,
  guard?: (op: FileOp) => Promise<void>,
  /** Ops finished by an earlier attempt (a retry after EBUSY): skipped, and each one finished now is added. */
  done: Set<string> = new Set(),
): Promise<void> {
  // A repo moved or deleted under us: its folders must not be made again at the old path
  // (mkdir -p would), and nothing is written there.
  if (!lstatOrNone(path.join(repo, '.git'))) throw new EngineError('RepoMissing', 'repository not found (deleted or moved?)', repo);
  // Within each step the files are independent, so their renames and unlinks are in flight
  // together: one after another, a repo on a long dependency chain waited for each in turn. A
  // bounded number, though: a hundred thousand pending calls held a few KiB each.
  const emptied = new Set<string>();
  const deletions = ops.filter((op) => op.action === 'delete');
  await mapLimit(deletions, inFlight, async (op) => {
    if (done.has(op.path)) return;
    const abs = fsPath(repo, op.path);
    await guard?.(op);
    // a folder on the way gone: so is the file, and nothing is to be removed
    const st = foldersOnTheWay(repo, op.path, false) ? lstatOrNone(abs) : undefined;
    if (st?.isDirectory()) {
      // a gitlink (nested repo) is not ours to delete; git would leave it as well
      if (op.fromMode !== Mode.gitlink) throw new EngineError('GitFailed', 'expected a file but found a folder', repo, op.path);
    } else if (st) {
      await fs.promises.unlink(abs); // no await since the folders were checked: unlink is the next call
    }
    emptied.add(parentOf(op.path));
    done.add(op.path);
    faultPoint('fileop');
    onFile?.(op);
  });
  for (const dir of [...emptied].sort((a, b) => b.length - a.length)) await pruneEmpty(repo, dir);
  const made = new Set<string>();
  const writes = ops.filter((op) => op.action !== 'delete');
  for (const op of writes) {
    // folders first, synchronously and once each, so the renames below find them
    const dir = parentOf(op.path);
    if (op.action === 'write' && !made.has(dir)) {
      makeFolders(repo, dir, op.path);
      made.add(dir);
    }
  }
  await mapLimit(writes, inFlight, async (op) => {
    if (done.has(op.path)) return;
    const abs = fsPath(repo, op.path);
    await guard?.(op);
    if (op.action === 'gitlink') makeFolders(repo, op.path, op.path);
    else if (op.action === 'chmod') await chmodInside(repo, op.path, op.mode === Mode.exec ? 0o755 : 0o644);
    else {
      const from = staged.get(op.path);
      if (!from) throw new EngineError('GitFailed', 'no checked-out file to write', repo, op.path);
      foldersOnTheWay(repo, op.path, true);
      await moveInto(from, abs, () => foldersOnTheWay(repo, op.path, true));
    }
    done.add(op.path);
    faultPoint('fileop');
    onFile?.(op);
  });
}

/** Renames a staged file over its target; across filesystems, copies it beside the target first. */
async function moveInto(staged: string, abs: string | Buffer, recheck: () => void): Promise<void> {
  try {
    renameFault();
    await fs.promises.rename(staged, abs);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
    const beside = Buffer.concat([typeof abs === 'string' ? Buffer.from(abs) : abs, Buffer.from(`.cc-${randomHex(4)}`)]);
    try {
      const st = await fs.promises.lstat(staged);
      recheck();
      if (st.isSymbolicLink()) await fs.promises.symlink(await fs.promises.readlink(staged), beside);
      else await fs.promises.copyFile(staged, beside);
      recheck();
      await fs.promises.rename(beside, abs);
    } catch (err) {
      await fs.promises.rm(beside, { force: true });
      throw err;
    }
  }
}

async function pruneEmpty(repo: string, rel: string): Promise<void> {
  for (let d = rel; d !== ''; d = parentOf(d)) {
    // rmdir does not follow `d` itself when it is a link (ENOTDIR), but it follows every folder above it
    if (!foldersOnTheWay(repo, d, false)) return;
    try {
      fs.rmdirSync(fsPath(repo, d));
    } catch {
      return; // not empty (an ignored file lives there, or a sibling) or already gone
    }
  }
}

/*
 * No byte is written, renamed, chmodded or removed outside a repo through a folder that became a
 * symlink (or a file) after prepare checked it (plan/fileOps.ts checkOps): another process may swap
 * a folder at any moment, and mkdir -p, rename, unlink, rmdir and chmod all follow every link on
 * the way. So immediately before each of them, every folder from the repo root down is lstat'ed
 * again, nothing remembered from an earlier call: a check made before an await is stale after it.
 *
 * The window that remains is the time between the last lstat and the system call itself: a few
 * microseconds for the synchronous calls (mkdir, rmdir), and for the asynchronous ones (rename,
 * unlink) also the wait for a thread-pool slot. Closing it needs the *at() calls (openat with
 * O_DIRECTORY|O_NOFOLLOW for each folder, then renameat/unlinkat/mkdirat/fchmodat relative to the
 * folder's descriptor), and Node's fs has none of them: every call takes a path that the kernel
 * resolves afresh. A chmod alone is made exact: the file is opened without following a link, checked
 * to be the one the path reaches through real folders, and changed through its descriptor.
 */

/**
 * Checks that every folder on the way to `rel` (not `rel` itself) is a real folder now; throws
 * ConcurrentWrite naming the repo and path when one is a symlink or not a folder. A folder that is
 * missing: false, or ConcurrentWrite when `mustExist` (it was made or seen a moment ago).
 */
function foldersOnTheWay(repo: string, rel: string, mustExist: boolean): boolean {
  for (let end = rel.indexOf('/'); end >= 0; end = rel.indexOf('/', end + 1)) {
    const dir = rel.slice(0, end);
    const st = lstatOrNone(fsPath(repo, dir));
    if (st?.isDirectory()) continue;
    if (!st && !mustExist) return false;
    throw swapped(repo, rel, dir, st);
  }
  return true;
}

function swapped(repo: string, rel: string, dir: string, st: fs.Stats | undefined, what: 'folder' | 'file' = 'folder'): EngineError {
  const now = !st ? 'gone' : st.isSymbolicLink() ? 'a symlink' : `not a ${what}`;
  return new EngineError(
    'ConcurrentWrite',
    `the ${what} ${showPath(dir)} is ${now} since the rollback checked it (another process replaced it); ` +
      'nothing was written through it, and this repo is put back',
    repo,
    rel,
  );
}

/** mkdir -p that follows no link: one folder at a time, each checked; a link or file in the way is ConcurrentWrite (naming `forPath`). */
function makeFolders(repo: string, rel: string, forPath: string): void {
  if (rel === '') return;
  const parts = rel.split('/');
  for (let i = 1; i <= parts.length; i++) {
    const dir = parts.slice(0, i).join('/');
    let st = lstatOrNone(fsPath(repo, dir));
    if (!st) {
      try {
        fs.mkdirSync(fsPath(repo, dir)); // not recursive: its parent was just checked, and a name that appeared since fails EEXIST
        continue;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        st = lstatOrNone(fsPath(repo, dir));
      }
    }
    if (!st?.isDirectory()) throw swapped(repo, forPath, dir, st);
  }
}

/**
 * chmod follows a link in the last name too, so the file is opened without following one
 * (O_NOFOLLOW; O_NONBLOCK so a FIFO put there cannot hang us) and changed through its descriptor.
 */
async function chmodInside(repo: string, rel: string, mode: number): Promise<void> {
  const abs = fsPath(repo, rel);
  foldersOnTheWay(repo, rel, true);
  const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK } = fs.constants;
  if (O_NOFOLLOW === undefined) {
    // Windows: no O_NOFOLLOW, and no symlinks a user can make without privileges
    if (lstatOrNone(abs)?.isSymbolicLink()) throw swapped(repo, rel, rel, lstatOrNone(abs), 'file');
    await fs.promises.chmod(abs, mode);
    return;
  }
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(abs, O_RDONLY | O_NOFOLLOW | (O_NONBLOCK ?? 0));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') throw swapped(repo, rel, rel, lstatOrNone(abs), 'file');
    if (code !== 'EACCES') throw e;
    // a file we may not read (mode 0o200): chmod by name, the last name checked just before
    foldersOnTheWay(repo, rel, true);
    if (!lstatOrNone(abs)?.isFile()) throw swapped(repo, rel, rel, lstatOrNone(abs), 'file');
    await fs.promises.chmod(abs, mode);
    return;
  }
  try {
    // The descriptor is the file inside the repo only if, after it was opened, the path still
    // leads there through real folders: checked now, the chmod below changes that file whatever is swapped later.
    const opened = await handle.stat();
    foldersOnTheWay(repo, rel, true);
    const inside = lstatOrNone(abs);
    if (!opened.isFile() || !inside || inside.ino !== opened.ino || inside.dev !== opened.dev) throw swapped(repo, rel, rel, inside, 'file');
    await handle.chmod(mode);
  } finally {
    await handle.close();
  }
}
