import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { EngineError } from './errors';
import { GitError, git } from './git';
import { RepoLayout, assertQuiet, readHead, repoLayout } from './repoLayout';
import { isAlive } from './repoLock';

/** What a snapshot records of one repo. Trees and commits are object ids in the repo's own store. */
export interface RepoState {
  /** Commit HEAD resolves to; null when the branch is unborn. */
  head: string | null;
  /** Branch HEAD points to (`refs/heads/…`); null when detached. */
  ref: string | null;
  /** Tree of the staged state. */
  index: string;
  /** Tree of tracked + untracked-not-ignored files as they are on disk (modes and symlinks kept). */
  worktree: string;
}

/**
 * Captures a repo's state without touching its worktree, index or HEAD: the real index is copied
 * to a temporary one (keeping its stat cache, so unchanged files are not re-hashed) and only that
 * copy is written. Ignored files never enter the worktree tree because `add -A` skips them.
 */
export async function captureRepoState(root: string): Promise<RepoState> {
  const captured = await captureWithIndex(root);
  await captured.release();
  return captured.state;
}

/** A capture whose temporary index (matching the worktree, stat cache intact) is kept for reuse. */
export interface Capture {
  state: RepoState;
  layout: RepoLayout;
  /** Index file that lists the worktree as captured; removed by `release()`. */
  tempIndex: string;
  release(): Promise<void>;
}

/** Like captureRepoState, but hands over the temporary index, which a restore reuses as its base. */
export async function captureWithIndex(root: string): Promise<Capture> {
  const layout = await repoLayout(root);
  await assertQuiet(layout);
  await removeDeadLeftovers(layout.gitDir);
  const { head, ref } = await readHead(layout);
  const tempIndex = path.join(layout.gitDir, `codecontext-${process.pid}-${crypto.randomBytes(4).toString('hex')}.index`);
  // Everything a capture or a restore built on it leaves beside the temp index shares its name:
  // the index, its lock, the next index and the staging folder of a restore.
  const release = async () => {
    await Promise.all(['', '.lock', '.next', '.next.lock', '.stage'].map((x) => fs.promises.rm(tempIndex + x, { force: true, recursive: true })));
  };
  try {
    let checksum: string | undefined;
    try {
      const realIndex = path.join(layout.gitDir, 'index');
      const stat = await fs.promises.stat(realIndex);
      await fs.promises.copyFile(realIndex, tempIndex);
      // Git trusts an entry's stat data only when the file is older than the index file; the copy
      // must keep the original's timestamp, or a same-size edit made in the second the index was
      // written (a "racily clean" entry) would be taken as unchanged and lost from the worktree tree.
      await fs.promises.utimes(tempIndex, stat.atime, stat.mtime);
      checksum = await indexChecksum(tempIndex, stat.size);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    const env = { GIT_INDEX_FILE: tempIndex };
    const cacheKey = checksum && `${layout.commonDir}\0${checksum}`;
    let index = cacheKey ? recalledIndexTree(cacheKey) : undefined;
    if (!index) {
      index = await git(root, ['write-tree'], { env });
      if (cacheKey) rememberIndexTree(cacheKey, index);
    }
    // Embedded repos become gitlinks, as they would in a commit; their own files are the nested
    // repo's business and are captured as a repo of their own.
    await git(root, ['-c', 'advice.addEmbeddedRepo=false', 'add', '-A', '--', '.'], { env });
    const worktree = await git(root, ['write-tree'], { env });
    return { state: { head, ref, index, worktree }, layout, tempIndex, release };
  } catch (e) {
    await release();
    if (e instanceof GitError) throw e.toEngineError();
    if (e instanceof EngineError) throw e;
    throw new EngineError('GitFailed', String((e as Error).message ?? e), root);
  }
}

/**
 * Temporary indexes and staging folders that a killed codecontext process left in a git dir
 * (named `codecontext-<pid>-…`); anything of a live process is left alone. Every capture runs it,
 * and so does recovery, which may end without capturing a repo.
 */
export async function removeDeadLeftovers(gitDir: string): Promise<void> {
  const names = await fs.promises.readdir(gitDir).catch(() => [] as string[]);
  await Promise.all(
    names.map((n) => {
      const pid = Number(/^codecontext-(\d+)-/.exec(n)?.[1]);
      if (!pid || pid === process.pid || isAlive(pid)) return undefined;
      return fs.promises.rm(path.join(gitDir, n), { force: true, recursive: true });
    }),
  );
}

/**
 * An index file ends with the SHA-1 of everything before it, so two index files with the same
 * trailer list the same entries and give the same tree. Remembering trailer → tree saves a
 * `write-tree` whenever a repo's index has not changed since this process last looked (a
 * rollback's prepare right after its plan; the server answering again). Only trees git itself
 * wrote are remembered, so an index that fails to write (unmerged entries) is never cached.
 */
const indexTrees = new Map<string, { tree: string; at: number }>();
const indexTreeLimit = 20_000;
/** Past this age a tree might have been pruned (`gc --prune=now`), so git is asked again. */
const indexTreeMaxAgeMs = 10 * 60_000;

/**
 * Records that `indexFile` (of the repo whose shared git dir is `commonDir`) lists exactly `tree`,
 * because git just built it from that tree (`read-tree --reset <tree>`). A later capture of an
 * index still byte-identical then needs no `write-tree` — a rollback's verify, for one.
 */
export async function noteIndexTree(commonDir: string, indexFile: string, tree: string): Promise<void> {
  const stat = await fs.promises.stat(indexFile);
  const checksum = await indexChecksum(indexFile, stat.size);
  if (checksum) rememberIndexTree(`${commonDir}\0${checksum}`, tree);
}

function rememberIndexTree(key: string, tree: string): void {
  indexTrees.delete(key);
  if (indexTrees.size >= indexTreeLimit) indexTrees.delete(indexTrees.keys().next().value as string);
  indexTrees.set(key, { tree, at: Date.now() });
}

function recalledIndexTree(key: string): string | undefined {
  const hit = indexTrees.get(key);
  return hit && Date.now() - hit.at < indexTreeMaxAgeMs ? hit.tree : undefined;
}

async function indexChecksum(file: string, size: number): Promise<string | undefined> {
  if (size < 32) return undefined;
  const handle = await fs.promises.open(file, 'r');
  try {
    const trailer = Buffer.alloc(20);
    await handle.read(trailer, 0, 20, size - 20);
    // index.skipHash writes a zero trailer: no identity to go by
    return trailer.every((b) => b === 0) ? undefined : trailer.toString('hex');
  } finally {
    await handle.close();
  }
}
