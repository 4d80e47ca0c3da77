/**
 * What both watchers do with the events they count: gather the keys (repos, store kinds) and hand them
 * over once, sorted, when the writes settle — no event for `quietMs` — or, under constant churn,
 * `maxDelayMs` after the first event of the batch, so the client still hears in time.
 */
export class Settle<K extends string> {
  private pending = new Set<K>();
  private firstPending = 0;
  private timer: NodeJS.Timeout | undefined;
  private disposed = false;

  constructor(
    private readonly quietMs: number,
    private readonly maxDelayMs: number,
    private readonly onSettled: (keys: K[]) => void,
  ) {}

  add(key: K): void {
    const now = Date.now();
    if (this.timer) clearTimeout(this.timer);
    else this.firstPending = now;
    this.pending.add(key);
    const wait = Math.max(0, Math.min(this.quietMs, this.firstPending + this.maxDelayMs - now));
    this.timer = setTimeout(() => this.flush(), wait);
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private flush(): void {
    this.timer = undefined;
    const keys = [...this.pending].sort();
    this.pending = new Set();
    if (keys.length && !this.disposed) this.onSettled(keys);
  }
}
