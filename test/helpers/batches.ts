/**
 * What a watcher hands its `onChange`, batch by batch, for tests on the real file system: `next(ms)`
 * resolves with the oldest batch not yet taken (one that came before the call too), or [] when none
 * comes within `ms`.
 */
export function collectBatches<K>(): { onChange: (keys: K[]) => void; next: (ms: number) => Promise<K[]> } {
  const batches: K[][] = [];
  let wake: (() => void) | undefined;
  const onChange = (keys: K[]) => {
    batches.push(keys);
    wake?.();
  };
  const next = (ms: number) =>
    new Promise<K[]>((resolve) => {
      if (batches.length) return resolve(batches.shift()!);
      const timer = setTimeout(() => {
        wake = undefined;
        resolve([]);
      }, ms);
      wake = () => {
        clearTimeout(timer);
        wake = undefined;
        resolve(batches.shift()!);
      };
    });
  return { onChange, next };
}
