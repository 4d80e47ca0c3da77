import * as fs from 'fs';
import * as path from 'path';
import { randomHex } from '../util/canonical';
import { EngineError } from '../util/errors';
import { Mode } from '../git/looseObjects';
import { TreeChange, diffTrees } from '../git/trees';
import { lstatOrNone } from '../util/quickFs';
import { decodePath, fsPath } from '../util/pathBytes';
import { faultPoint, renameFault } from '../util/faults';

/**
 * The file operations that turn one worktree tree into another, and their application to disk.
 * Every write goes beside the file and is renamed over it, so a watcher never sees half a file;
 * every path is checked to stay inside the repo and not to pass through a symlink.
 */
export interface FileOp {
  path: string;
  /** `write` a blob (file, executable or symlink), `delete` it, `chmod` only, or make a `gitlink` folder. */
  action: 'write' | 'delete' | 'chmod' | 'gitlink';
  /** What is there now (null: nothing tracked or untracked-visible). */
  fromBlob: string | null;
  fromMode: string | null;
  /** What must be there after. */
  blob: string | null;
  mode: string | null;
}

/** Ops from `from` to `to` (two worktree trees of the same repo), sorted by path. */
export async function treeOps(repo: string, from: string, to: string): Promise<FileOp[]> {
  if (from === to) return [];
  // A type change (file ↔ folder) shows as a delete and an add of different paths; deleting first
  // frees the name, which apply relies on.
  return (await diffTrees(repo, from, to)).map(opOf).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** The file operation that makes one tree difference. */
export function opOf({ kind, path: p, oldMode: fromMode, newMode, oldBlob: fromBlob, newBlob }: TreeChange): FileOp {
  if (kind === 'deleted') return { path: p, action: 'delete', fromBlob, fromMode, blob: null, mode: null };
  if (newMode === Mode.gitlink) return { path: p, action: 'gitlink', fromBlob, fromMode, blob: newBlob, mode: newMode };
  if (fromBlob === newBlob && isFileMode(fromMode) && isFileMode(newMode))
    return { path: p, action: 'chmod', fromBlob, fromMode, blob: newBlob, mode: newMode };
  return { path: p, action: 'write', fromBlob, fromMode, blob: newBlob, mode: newMode };
}

function isFileMode(m: string | null): boolean {
  return m === Mode.file || m === Mode.exec;
}

/** Refuses a path that could leave the repo: absolute, `..`, `.git`, or empty segments. */
export function assertRepoPath(repo: string, rel: string): void {
  const segments = rel.split('/');
  if (path.isAbsolute(rel) || rel.includes('\\') || segments.some((s) => s === '' || s === '.' || s === '..' || s.toLowerCase() === '.git')) {
    throw new EngineError('PathEscapesRepo', 'path would leave the repository', repo, rel);
  }
}

/**
 * Checks, before anything is written, that every op stays inside the repo: no folder on the way is
 * a symlink (writing through it could land anywhere), and no write lands on a file git does not
 * see (an ignored file would be lost). `deleted` paths are the ops' own deletions, which free their names.
 */
export async function checkOps(repo: string, ops: readonly FileOp[]): Promise<void> {
  const deleted = new Set(ops.filter((o) => o.action === 'delete').map((o) => o.path));
  const checkedDirs = new Map<string, Promise<void>>();
  const checkDir = (rel: string, forPath: string): Promise<void> => {
    let p = checkedDirs.get(rel);
    if (!p) {
      p = (async () => {
        if (rel === '') return;
        await checkDir(parentOf(rel), forPath);
        const st = lstatOrNone(fsPath(repo, rel));
        if (st?.isSymbolicLink()) {
          if (!deleted.has(rel)) {
            throw new EngineError('PathEscapesRepo', `folder ${rel} is a symlink; writing through it could leave the repository`, repo, forPath);
          }
          // The plan would replace the link with the folder it was. A link that points outside
          // the repo is refused all the same: that is how an escape is staged, and a person
          // should look at it before anything is written there.
          const target = path.resolve(path.dirname(path.join(repo, rel)), decodePath(await fs.promises.readlink(fsPath(repo, rel), { encoding: 'buffer' })));
          if (target !== repo && !target.startsWith(repo + path.sep)) {
            throw new EngineError(
              'PathEscapesRepo',
              `folder ${rel} was replaced by a symlink pointing outside the repository (${target}); remove it first`,
              repo,
              forPath,
            );
          }
        }
      })();
      checkedDirs.set(rel, p);
    }
    return p;
  };
  for (const op of ops) {
    assertRepoPath(repo, op.path);
    await checkDir(parentOf(op.path), op.path);
    if (op.action !== 'delete' && op.fromBlob === null) {
      const st = lstatOrNone(fsPath(repo, op.path));
      if (st?.isDirectory() && op.action !== 'gitlink') {
        // a folder becoming a file: fine only when the ops delete everything in it
        const left = (await filesBelow(repo, op.path)).find((f) => !deleted.has(f));
        if (left) throw new EngineError('IgnoredFileInTheWay', 'an ignored file is in the way and would be lost; move it first', repo, left);
      } else if (st && !st.isDirectory()) {
        throw new EngineError('IgnoredFileInTheWay', 'an ignored file is in the way and would be lost; move it first', repo, op.path);
      }
    }
  }
}

async function filesBelow(repo: string, rel: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.promises.readdir(fsPath(repo, rel), { withFileTypes: true, encoding: 'buffer' })) {
    const child = `${rel}/${decodePath(e.name)}`;
    if (e.isDirectory()) out.push(...(await filesBelow(repo, child)));
    else out.push(child);
  }
  return out;
}

function parentOf(rel: string): string {
  const i = rel.lastIndexOf('/');
  return i < 0 ? '' : rel.slice(0, i);
}

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
