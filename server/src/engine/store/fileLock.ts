import * as fs from 'fs';
import * as path from 'path';
import { EngineError } from '../util/errors';

/**
 * An exclusive lock file (O_EXCL create), held for the duration of `fn`. Waits up to `waitMs`
 * for another holder, then refuses; a lock left behind is never broken silently, because only a
 * person can tell whether its holder is still at work.
 */
export async function withFileLock<T>(file: string, fn: () => Promise<T>, waitMs = 5000, what = 'store'): Promise<T> {
  await fs.promises.mkdir(path.dirname(file), { recursive: true });
  const deadline = Date.now() + waitMs;
  let handle: fs.promises.FileHandle | undefined;
  for (let delay = 10; ; delay = Math.min(delay * 2, 200)) {
    try {
      handle = await fs.promises.open(file, 'wx');
      await handle.writeFile(`${process.pid}\n`);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      if (Date.now() >= deadline) {
        throw new EngineError('RepositoryIsLocked', `${what} is locked by another codecontext process (lock file ${file}; remove it if no such process runs)`);
      }
      await new Promise((r) => setTimeout(r, delay));
    }
  }
  try {
    return await fn();
  } finally {
    await handle.close();
    await fs.promises.rm(file, { force: true });
  }
}
