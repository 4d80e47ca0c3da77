import * as fs from 'fs';
import * as path from 'path';
import { EngineError } from '../../util/errors';
import { Mode } from '../../git/looseObjects';
import { TreeChange, diffTrees } from '../../git/trees';
import { lstatOrNone } from '../../util/quickFs';
import { decodePath, fsPath } from '../../util/pathBytes';

/**
 * The file operations that turn one worktree tree into another, worked out and checked before
 * anything is written: every path is checked to stay inside the repo and not to pass through a
 * symlink. `tx/worktreeOps.ts` applies them.
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

/** The folder a repo-relative path is in ('' for the top). */
export function parentOf(rel: string): string {
  const i = rel.lastIndexOf('/');
  return i < 0 ? '' : rel.slice(0, i);
}
