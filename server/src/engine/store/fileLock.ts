import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { EngineError } from '../util/errors';
import { isAlive } from '../util/processes';
import { readBoundedText } from './boundedRead';

/**
 * An exclusive lock file, held for the duration of `fn`. It appears whole (its owner, pid and
 * host, is written to a private file that is then hard-linked to the lock's name, which fails if
 * the name exists), so a lock always says whose it is. A lock whose owner is a process of this
 * host that no longer runs (a kill -9) is taken over; any other holder is waited for up to
 * `waitMs`, then refused, since only a person can tell whether a process elsewhere is at work.
 */
export async function withFileLock<T>(file: string, fn: () => Promise<T>, waitMs = 5000, what = 'store'): Promise<T> {
  await fs.promises.mkdir(path.dirname(file), { recursive: true });
  const deadline = Date.now() + waitMs;
  const owner = JSON.stringify({ pid: process.pid, host: os.hostname() });
  const draft = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.draft`;
  await fs.promises.writeFile(draft, owner);
  try {
    for (let delay = 10; ; delay = Math.min(delay * 2, 200)) {
      if (await take(file, draft, owner)) break;
      if (await breakIfDead(file)) continue;
      if (Date.now() >= deadline) {
        throw new EngineError('RepositoryIsLocked', `${what} is locked by another codecontext process (lock file ${file}; remove it if no such process runs)`);
      }
      await new Promise((r) => setTimeout(r, delay));
    }
  } finally {
    await fs.promises.rm(draft, { force: true });
  }
  try {
    return await fn();
  } finally {
    await fs.promises.rm(file, { force: true });
  }
}

async function take(file: string, draft: string, owner: string): Promise<boolean> {
  try {
    await fs.promises.link(draft, file);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw e;
  }
  // no hard links here: an exclusive create, then the owner (a kill in between leaves an empty lock, refused as held)
  try {
    await fs.promises.writeFile(file, owner, { flag: 'wx' });
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
}

/** Removes the lock when its owner is a dead process of this host; true when it did. */
async function breakIfDead(file: string): Promise<boolean> {
  let owner: { pid?: unknown; host?: unknown };
  try {
    const text = await readBoundedText(file, { limit: 4096, what: 'lock file', regularOnly: true });
    // earlier versions wrote the bare pid
    owner = /^\d+\n?$/.test(text) ? { pid: Number(text), host: os.hostname() } : (JSON.parse(text) as typeof owner);
  } catch {
    return false; // gone already (then the next try takes it), or unreadable: not ours to judge
  }
  if (owner.host !== os.hostname() || typeof owner.pid !== 'number' || owner.pid === process.pid || isAlive(owner.pid)) return false;
  await fs.promises.rm(file, { force: true });
  return true;
}
