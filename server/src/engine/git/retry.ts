import { EngineError } from '../util/errors';
import { GitError } from './gitRunner';

/** Backoff between attempts at a transiently failing step (a ref lock held for a moment, EBUSY). */
const backoffMs = [20, 50, 100, 200, 400];

function transient(e: unknown): boolean {
  if (e instanceof EngineError) return e.code === 'RepositoryIsLocked';
  if (e instanceof GitError) return e.gitCode === 'RepositoryIsLocked';
  const code = (e as NodeJS.ErrnoException)?.code;
  return code === 'EBUSY' || code === 'EAGAIN' || code === 'EPERM' || code === 'EACCES';
}

/** Runs `fn`, retrying transient failures with bounded backoff; `onRetry` counts them for the evidence. */
export async function withRetry<T>(fn: () => Promise<T>, onRetry: () => void): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (!transient(e) || attempt >= backoffMs.length) throw e;
      onRetry();
      await new Promise((r) => setTimeout(r, backoffMs[attempt]));
    }
  }
}
