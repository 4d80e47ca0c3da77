import * as fs from 'fs';
import * as path from 'path';
import { Settle } from './settle';
import { StoreKind } from '../protocol';

const quietMs = 100;
/** Under constant churn (a 200-repo checkpoint) the client still hears within this time. */
const maxDelayMs = 1000;

/**
 * Watches the store folder and calls `onChange` with the kinds of things that changed, once the
 * writes settle. It sees every writer (this server, the CLI in a terminal, another window) because
 * it watches files, not calls. Recursive where the platform supports it, else the store folder and
 * each of its subfolders.
 */
export class StoreWatcher {
  private readonly watchers = new Map<string, fs.FSWatcher>();
  private readonly settle = new Settle<StoreKind>(quietMs, maxDelayMs, (kinds) => this.onChange(kinds));
  private disposed = false;

  constructor(
    readonly dir: string,
    private readonly onChange: (kinds: StoreKind[]) => void,
    private readonly onError: (message: string) => void = () => undefined,
  ) {}

  async start(): Promise<void> {
    await fs.promises.mkdir(this.dir, { recursive: true });
    if (this.disposed) return;
    try {
      this.watch(this.dir, { recursive: true }, (rel) => rel);
    } catch {
      this.watchEachFolder();
    }
  }

  dispose(): void {
    this.disposed = true;
    this.settle.dispose();
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }

  /** The fallback: the top folder (which tells when a kind's folder appears) and each kind's folder. */
  private watchEachFolder(): void {
    const watchSub = (name: string) => {
      const sub = path.join(this.dir, name);
      if (this.watchers.has(sub) || !fs.statSync(sub, { throwIfNoEntry: false })?.isDirectory()) return;
      this.watch(sub, {}, (rel) => path.join(name, rel));
    };
    this.watch(this.dir, {}, (rel) => {
      watchSub(rel);
      return rel;
    });
    for (const name of fs.readdirSync(this.dir)) watchSub(name);
  }

  private watch(folder: string, options: fs.WatchOptions, relative: (name: string) => string): void {
    const watcher = fs.watch(folder, options, (_event, name) => {
      if (name) this.changed(relative(name.toString()));
    });
    watcher.on('error', (e) => {
      this.onError(`store watcher on ${folder} stopped: ${e.message}`);
      watcher.close();
      this.watchers.delete(folder);
    });
    this.watchers.set(folder, watcher);
  }

  private changed(rel: string): void {
    const parts = rel.split(/[\\/]/);
    const base = parts[parts.length - 1];
    // temp files of atomic writes and lock files are not changes anyone can read
    if (base.startsWith('.') || base.endsWith('.lock') || base.endsWith('.tmp')) return;
    this.settle.add(kindOf(parts[0]));
  }
}

function kindOf(top: string): StoreKind {
  if (top === 'snapshots') return 'snapshots';
  if (top === 'campaigns') return 'campaigns';
  return 'rollbacks';
}
