import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { EngineError } from '../util/errors';
import { lockFlake } from '../util/faults';
import { isAlive } from '../util/processes';
import { RepoLayout } from '../git/repoLayout';

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
/** A private file a lock's content is written to before it takes the lock's name (swept if we are killed). */
const lockDraft = (layout: RepoLayout) => path.join(layout.gitDir, `codecontext-${process.pid}-lock-${randomBytes(4).toString('hex')}`);
/**
 * Whether an index.lock is ours: it holds our owner record (git never reads it), or the mark
 * earlier versions wrote. Recovery tells ours from git's by it after a kill.
 */
function lockIsOurs(text: string, rb: string): boolean {
  if (text === `codecontext ${rb}\n`) return true;
  try {
    return (JSON.parse(text) as LockOwner).rb === rb;
  } catch {
    return false;
  }
}

/**
 * Takes both locks, made synchronously (tiny writes, one per repo per transaction). They appear
 * whole: the owner record is written to a private file first, which is then hard-linked to each
 * lock's name, and a link fails if the name exists. An exclusive create followed by a write
 * would leave an empty lock after a kill in between, one recovery could not tell for ours. Where
 * links are not supported, that exclusive create it is.
 */
export async function acquireRepoLock(layout: RepoLayout, rb: string, backoff: readonly number[] = lockBackoffMs): Promise<RepoLock> {
  const owner: LockOwner = { rb, pid: process.pid, host: os.hostname() };
  const content = JSON.stringify(owner);
  const draft = lockDraft(layout);
  try {
    fs.writeFileSync(draft, content);
  } catch (e) {
    fs.rmSync(draft, { force: true }); // a full disk can leave it made but empty
    throw e;
  }
  const create = (file: string): boolean => {
    if (lockFlake()) return false;
    try {
      fs.linkSync(draft, file);
      return true;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return false;
      if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS') return createDirect(file, content);
      throw e;
    }
  };
  let retries = 0;
  const attempt = async (file: string, what: string): Promise<void> => {
    for (let i = 0; ; i++) {
      if (create(file)) return;
      if (i >= backoff.length) {
        const holder = file === ownLock(layout) ? await readOwner(layout) : undefined;
        throw new EngineError(
          'RepositoryIsLocked',
          holder
            ? `busy: rollback ${holder.rb} (pid ${holder.pid}) holds ${what}`
            : `${what} is held by another process (${file}); retried ${backoff.length} times`,
          layout.root,
        );
      }
      retries++;
      await new Promise((r) => setTimeout(r, backoff[i]));
    }
  };
  try {
    await attempt(ownLock(layout), 'the repository lock');
    try {
      await attempt(indexLock(layout), "git's index.lock");
    } catch (e) {
      fs.rmSync(ownLock(layout), { force: true });
      throw e;
    }
  } finally {
    fs.rmSync(draft, { force: true });
  }
  return { layout, retries, release: () => releaseRepoLock(layout) };
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
 * A rollback of a live process holds this repo (its `codecontext.lock`): its writes are under
 * way, and a capture now would record them half done. A dead owner's lock is not a rollback at work.
 */
export async function rollbackAtWork(layout: RepoLayout): Promise<boolean> {
  const owner = await readOwner(layout);
  return !!owner && (owner.host !== os.hostname() || isAlive(owner.pid));
}

/**
 * Takes over the locks a crashed transaction `rb` left in a repo (recovery). Refuses when they
 * belong to another transaction or a process that is still alive on this host (unless that
 * process handed the transaction over: `handedOver`).
 */
export async function adoptRepoLock(layout: RepoLayout, rb: string, handedOver = false): Promise<RepoLock> {
  const owner = await readOwner(layout);
  if (!owner) return acquireRepoLock(layout, rb);
  if (owner.rb !== rb) throw new EngineError('RepositoryIsLocked', `busy: rollback ${owner.rb} holds the repository lock`, layout.root);
  if (!handedOver && owner.host === os.hostname() && isAlive(owner.pid) && owner.pid !== process.pid) {
    throw new EngineError('RepositoryIsLocked', `rollback ${rb} is still running (pid ${owner.pid})`, layout.root);
  }
  // What index.lock holds, not our lock file, says whose it is: one that is not ours is git's, never removed.
  const markedOurs = await fs.promises.readFile(indexLock(layout), 'utf8').then(
    (t) => lockIsOurs(t, rb),
    () => false,
  );
  if (!markedOurs) {
    // it was killed before taking git's lock, or after releasing it: take it now like any rollback would
    await fs.promises.rm(ownLock(layout), { force: true });
    return acquireRepoLock(layout, rb);
  }
  // our pid now, so a second recovery sees the transaction's locks held by a live process; replaced whole
  const adopted: LockOwner = { ...owner, pid: process.pid };
  const next = lockDraft(layout);
  await fs.promises.writeFile(next, JSON.stringify(adopted));
  await fs.promises.rename(next, ownLock(layout));
  return { layout, retries: 0, release: () => releaseRepoLock(layout) };
}

/**
 * Removes the locks a transaction `rb` that is no longer running left in a repo (a repo moved
 * while it ran: recovery could not reach it there). index.lock goes only when it holds our record;
 * one of git's is never removed. True when something was removed.
 */
export async function releaseDeadLock(layout: RepoLayout, rb: string): Promise<boolean> {
  const owner = await readOwner(layout);
  if (!owner || owner.rb !== rb) return false;
  if (owner.host === os.hostname() && isAlive(owner.pid) && owner.pid !== process.pid) return false;
  const ours = await fs.promises.readFile(indexLock(layout), 'utf8').then(
    (t) => lockIsOurs(t, rb),
    () => false,
  );
  if (ours) await fs.promises.rm(indexLock(layout), { force: true });
  await fs.promises.rm(ownLock(layout), { force: true });
  return true;
}
