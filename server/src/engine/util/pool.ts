import { EngineError } from './errors';
import * as os from 'os';

/**
 * Default number of repos worked on at once. Node starts child processes one at a time on its
 * main thread, so many more than 8 in flight buys nothing; but a git process spends much of its
 * life waiting on the disk, so even 2 cores keep 8 busy (`npm run bench -- --parallel N` compares).
 */
export const defaultParallelism = Math.max(4, Math.min(8, os.cpus().length * 4));

/**
 * Maps `items` through `fn` with at most `limit` calls in flight; results keep the input order.
 * The first rejection is rethrown after every started call has settled, so no work is left
 * running behind the caller's back.
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
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

/**
 * Calls `fn` on every item, at most `limit` at once, each only once every item it comes `after`
 * (by key; keys not among the items are ignored) has finished. Of the items ready, the one with
 * the longest chain of items waiting behind it starts first, so a long dependency chain runs
 * beside the independent items instead of after them. The first rejection stops new starts and
 * is rethrown once every started call has settled, as with `mapLimit`.
 */
export async function runInOrder<T>(
  items: readonly T[],
  key: (item: T) => string,
  after: (item: T) => readonly string[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  const indexOf = new Map(items.map((item, i) => [key(item), i]));
  const next = items.map((): number[] => []);
  const waitingFor = items.map((item, i) => {
    const before = [...new Set(after(item))].map((k) => indexOf.get(k)).filter((j): j is number => j !== undefined && j !== i);
    for (const j of before) next[j].push(i);
    return before.length;
  });
  const chain = new Array<number>(items.length).fill(-1);
  const chainOf = (i: number, seen: Set<number>): number => {
    if (chain[i] >= 0) return chain[i];
    if (seen.has(i)) return 0; // a circle never becomes ready; reported below
    seen.add(i);
    chain[i] = 1 + Math.max(0, ...next[i].map((j) => chainOf(j, seen)));
    return chain[i];
  };
  items.forEach((_, i) => chainOf(i, new Set()));

  const ready = items.map((_, i) => i).filter((i) => waitingFor[i] === 0);
  let running = 0;
  let finished = 0;
  let failure: { error: unknown } | undefined;
  await new Promise<void>((resolve) => {
    const pump = () => {
      while (!failure && running < limit && ready.length) {
        let best = 0;
        for (let r = 1; r < ready.length; r++)
          if (chain[ready[r]] > chain[ready[best]] || (chain[ready[r]] === chain[ready[best]] && ready[r] < ready[best])) best = r;
        const i = ready.splice(best, 1)[0];
        running++;
        Promise.resolve()
          .then(() => fn(items[i]))
          .then(
            () => {
              finished++;
              for (const j of next[i]) if (--waitingFor[j] === 0) ready.push(j);
            },
            (error) => (failure ??= { error }),
          )
          .finally(() => {
            running--;
            pump();
          });
      }
      if (running === 0) resolve();
    };
    pump();
  });
  if (failure) throw failure.error;
  if (finished < items.length)
    throw new EngineError('Internal', `items that wait for each other in a circle never ran (${items.length - finished} of ${items.length})`);
}
