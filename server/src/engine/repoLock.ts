import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { EngineError } from './errors';
import { lockFlake } from './faults';
import { RepoLayout } from './repoLayout';

/**
 * A rollback's hold on one repo: our own `codecontext.lock` (naming the transaction, so recovery
 * can tell our leftovers from someone else's) and git's `index.lock`, so no git command changes
 * the index while we work. A held `index.lock` is retried with bounded backoff, then refused;
 * it is never deleted, because only its owner knows whether it is still at work.
 */
export interface LockOwner {
  rb: string;
  pid: number;
  host: string;
}

export interface RepoLock {
  layout: RepoLayout;
  /** Retries the index lock needed before it was taken. */
  retries: number;
  release(): Promise<void>;
}

/** Backoff for a held lock: about 2.5 s in all before giving up. */
export const lockBackoffMs = [25, 50, 100, 150, 250, 400, 600, 900];

const ownLock = (layout: RepoLayout) => path.join(layout.gitDir, 'codecontext.lock');
const indexLock = (layout: RepoLayout) => path.join(layout.gitDir, 'index.lock');
/** What our index.lock holds (git never reads it): recovery can tell it from git's own after a kill. */
const indexLockMark = (rb: string) => `codecontext ${rb}\n`;

/**
 * Lock files are made synchronously (tiny writes, two per repo per transaction) and appear whole:
 * the content goes to a private file that is then hard-linked to the lock's name, which fails if
 * the name exists. A kill between creating a lock and writing it would otherwise leave an empty
 * lock that recovery cannot tell for ours. Where links are not supported, an exclusive create.
 */
function createExclusive(file: string, content: string): boolean {
  if (lockFlake()) return false;
  const own = path.join(path.dirname(file), `codecontext-${process.pid}-lock-${randomBytes(4).toString('hex')}`);
  try {
    fs.writeFileSync(own, content);
  } catch {
    return createDirect(file, content);
  }
  try {
    fs.linkSync(own, file);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS') return createDirect(file, content);
    throw e;
  } finally {
    fs.rmSync(own, { force: true });
  }
}

function createDirect(file: string, content: string): boolean {
  try {
    fs.writeFileSync(file, content, { flag: 'wx' });
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
}

export async function acquireRepoLock(layout: RepoLayout, rb: string, backoff: readonly number[] = lockBackoffMs): Promise<RepoLock> {
  const owner: LockOwner = { rb, pid: process.pid, host: os.hostname() };
  let retries = 0;
  const attempt = async (file: string, content: string, what: string): Promise<void> => {
    for (let i = 0; ; i++) {
      if (createExclusive(file, content)) return;
      if (i >= backoff.length) {
        const holder = file === ownLock(layout) ? await readOwner(layout) : undefined;
        throw new EngineError(
          'RepositoryIsLocked',
          holder ? `busy: rollback ${holder.rb} (pid ${holder.pid}) holds ${what}` : `${what} is held by another process (${file}); retried ${backoff.length} times`,
          layout.root,
        );
      }
      retries++;
      await new Promise((r) => setTimeout(r, backoff[i]));
    }
  };
  await attempt(ownLock(layout), JSON.stringify(owner), 'the repository lock');
  try {
    await attempt(indexLock(layout), indexLockMark(rb), "git's index.lock");
  } catch (e) {
    fs.rmSync(ownLock(layout), { force: true });
    throw e;
  }
  return { layout, retries, release: () => releaseRepoLock(layout) };
}

/**
 * Both locks go together. A kill in between leaves our lock without an index.lock of ours, which
 * recovery handles like a kill before index.lock was taken.
 */
async function releaseRepoLock(layout: RepoLayout): Promise<void> {
  // asynchronous: freeing a file's blocks can wait on the disk (applyOps says more)
  await Promise.all([fs.promises.rm(indexLock(layout), { force: true }), fs.promises.rm(ownLock(layout), { force: true })]);
}

export async function readOwner(layout: RepoLayout): Promise<LockOwner | undefined> {
  try {
    return JSON.parse(await fs.promises.readFile(ownLock(layout), 'utf8')) as LockOwner;
  } catch {
    return undefined;
  }
}

/**
 * Takes over the locks a crashed transaction `rb` left in a repo (recovery). Refuses when they
 * belong to another transaction or a process that is still alive on this host.
 */
export async function adoptRepoLock(layout: RepoLayout, rb: string): Promise<RepoLock> {
  const owner = await readOwner(layout);
  if (!owner) return acquireRepoLock(layout, rb);
  if (owner.rb !== rb) throw new EngineError('RepositoryIsLocked', `busy: rollback ${owner.rb} holds the repository lock`, layout.root);
  if (owner.host === os.hostname() && isAlive(owner.pid) && owner.pid !== process.pid) {
    throw new EngineError('RepositoryIsLocked', `rollback ${rb} is still running (pid ${owner.pid})`, layout.root);
  }
  // The mark, not our lock file, says whose index.lock it is: one without it is git's, never removed.
  const markedOurs = await fs.promises.readFile(indexLock(layout), 'utf8').then((t) => t === indexLockMark(rb), () => false);
  if (!markedOurs) {
    // it was killed before taking git's lock, or after releasing it: take it now like any rollback would
    await fs.promises.rm(ownLock(layout), { force: true });
    return acquireRepoLock(layout, rb);
  }
  // our pid now, so a second recovery sees the transaction's locks held by a live process; replaced whole
  const adopted: LockOwner = { ...owner, pid: process.pid };
  const next = path.join(layout.gitDir, `codecontext-${process.pid}-lock-${randomBytes(4).toString('hex')}`);
  await fs.promises.writeFile(next, JSON.stringify(adopted));
  await fs.promises.rename(next, ownLock(layout));
  return { layout, retries: 0, release: () => releaseRepoLock(layout) };
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
