import * as os from 'os';

/**
 * Default number of repos worked on at once. Node starts child processes one at a time on its
 * main thread, so many more than 8 in flight buys nothing (PERFORMANCE.md); but a git process
 * spends much of its life waiting on the disk, and on 2 cores 8 in flight rolled 100 repos back
 * in 4.4 s where 4 took 8.3 s (npm run bench, same run).
 */
export const defaultParallelism = Math.max(4, Math.min(8, os.cpus().length * 4));

/**
 * Maps `items` through `fn` with at most `limit` calls in flight; results keep the input order.
 * The first rejection is rethrown after every started call has settled, so no work is left
 * running behind the caller's back.
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i], i);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker);
  await Promise.all(workers);
  if (failure) throw failure.error;
  return results;
}

/**
 * A gate that lets at most `limit` calls run at once, for recursive work that cannot be laid out
 * as a list beforehand. Only leaf work goes through it: a call that waits for its children while
 * holding a place could leave none for them.
 */
export function gate(limit: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: Array<() => void> = [];
  return async (fn) => {
    if (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    else running++;
    try {
      return await fn();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  };
}
