import * as fs from 'fs';
import { EngineError } from '../../util/errors';
import { fsPath } from '../../util/pathBytes';
import { Mode, blobId } from '../../git/looseObjects';
import { FileOp } from '../plan/fileOps';

/**
 * The check made just before a file is replaced or removed: is it still what the capture saw?
 * A guard is the file's lstat taken *before* the capture hashed it, so any write after that
 * moment (while git hashed, during prepare, during commit) changes size, mtime, ctime or inode.
 * A file whose stat moved is hashed again; only when its bytes are neither what the capture saw
 * nor what the operation leaves (a retry of an op already done) is it another process's write,
 * and the rollback stops for that repo, leaving the file as it is.
 */
export interface FileGuard {
  size: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  ino: bigint;
  mode: bigint;
}

/**
 * The guards of many paths, packed: five 64-bit numbers a path in one array, and its slot in a
 * map. A hundred thousand guards held as objects of five BigInts were about 25 MB kept from
 * prepare to the end of commit (issue 21, item 12); packed they are a tenth of that. A value that
 * does not fit 64 unsigned bits (an mtime before 1970) reads back otherwise: the file is then
 * hashed again, as after any stat change, so nothing is taken for unchanged that was not.
 */
export class FileGuards {
  private readonly slots = new Map<string, number>();
  private readonly values: BigUint64Array;
  /** 1: something was there (its stat in `values`), 0: nothing (or a folder). */
  private readonly present: Uint8Array;

  constructor(paths: readonly string[], stat: (p: string) => FileGuard | null) {
    this.values = new BigUint64Array(paths.length * fields);
    this.present = new Uint8Array(paths.length);
    paths.forEach((p, slot) => {
      if (this.slots.has(p)) return;
      this.slots.set(p, slot);
      const g = stat(p);
      if (!g) return;
      this.present[slot] = 1;
      this.values.set([g.size, g.mtimeNs, g.ctimeNs, g.ino, g.mode], slot * fields);
    });
  }

  has(p: string): boolean {
    return this.slots.has(p);
  }

  /** The guard of `p`: null when nothing was there, undefined when `p` has no guard. */
  get(p: string): FileGuard | null | undefined {
    const slot = this.slots.get(p);
    if (slot === undefined) return undefined;
    if (!this.present[slot]) return null;
    const [size, mtimeNs, ctimeNs, ino, mode] = this.values.subarray(slot * fields, slot * fields + fields);
    return { size, mtimeNs, ctimeNs, ino, mode };
  }
}

const fields = 5;

/** Stat of each path now (null: nothing there). Cheap: one lstat each. */
export function takeGuards(repo: string, paths: readonly string[]): FileGuards {
  return new FileGuards(paths, (p) => statOf(fsPath(repo, p)));
}

function statOf(abs: string | Buffer): FileGuard | null {
  let st: fs.BigIntStats | undefined;
  try {
    st = fs.lstatSync(abs, { bigint: true, throwIfNoEntry: false });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOTDIR') return null;
    throw e;
  }
  if (!st || st.isDirectory()) return null;
  return { size: st.size, mtimeNs: st.mtimeNs, ctimeNs: st.ctimeNs, ino: st.ino, mode: st.mode };
}

function same(a: FileGuard | null, b: FileGuard | null): boolean {
  if (!a || !b) return a === b;
  return a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs && a.ino === b.ino && a.mode === b.mode;
}

/**
 * A check for `applyOps` that throws ConcurrentWrite when `op`'s file is no longer what it was
 * when `guards` were taken. Ops without a guard are not checked.
 */
export function guardCheck(repo: string, guards: FileGuards): (op: FileOp) => Promise<void> {
  return async (op) => {
    if (!guards.has(op.path)) return;
    const abs = fsPath(repo, op.path);
    const now = statOf(abs);
    if (same(now, guards.get(op.path)!)) return;
    const blob = now ? await currentBlob(repo, op.path, abs) : null;
    const exec = now ? (now.mode & 0o111n) !== 0n : false;
    const was = blob === op.fromBlob && (op.fromMode === null || op.fromMode === Mode.symlink || exec === (op.fromMode === Mode.exec));
    const done = blob === (op.action === 'delete' ? null : op.blob) && (op.mode === null || op.mode === Mode.symlink || exec === (op.mode === Mode.exec));
    if (was || done) return;
    throw new EngineError(
      'ConcurrentWrite',
      'changed by another process during the rollback; left as it is (this repo is put back and the rollback stops)',
      repo,
      op.path,
    );
  };
}

/** The blob git would store for the file at `rel` now, or null when there is none (or a folder). */
export async function diskBlob(repo: string, rel: string): Promise<string | null> {
  const abs = fsPath(repo, rel);
  return statOf(abs) ? currentBlob(repo, rel, abs) : null;
}

/** The blob of the file's bytes as they are (a capture stores disk bytes, unfiltered): a symlink's target, else its content. */
async function currentBlob(_repo: string, _rel: string, abs: string | Buffer): Promise<string> {
  const st = fs.lstatSync(abs);
  if (st.isSymbolicLink()) return blobId(fs.readlinkSync(abs, { encoding: 'buffer' }));
  return blobId(await fs.promises.readFile(abs));
}
