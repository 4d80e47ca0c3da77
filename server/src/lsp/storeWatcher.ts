import * as fs from 'fs';
import * as path from 'path';
import { Settle } from './settle';
import { StoreKind } from '../protocol';

const quietMs = 100;
/** Under constant churn (a 200-repo checkpoint) the client still hears within this time. */
const maxDelayMs = 1000;

/**
 * Where `fs.watch(dir, { recursive: true })` is the system's own (FSEvents, ReadDirectoryChangesW).
 * Elsewhere Node emulates it with one watch per file, and a file's watch stays on the inode it first
 * saw: a store file replaced by a rename (every store write) is heard the first time only, so a
 * record's later states (committed, undone) or a second comment went unheard (Node 20 on Linux).
 */
const nativeRecursive = process.platform === 'darwin' || process.platform === 'win32';

/**
 * Watches the store folder and calls `onChange` with the kinds of things that changed, once the
 * writes settle. It sees every writer (this server, the CLI in a terminal, another window) because
 * it watches files, not calls. One recursive watch where the system provides it; elsewhere one watch
 * per folder (a folder's watch names each entry renamed into it, whatever inode it brings), a folder
 * made later watched from the event that made it.
 */
export class StoreWatcher {
  /** Folder (absolute) → its watcher, and the folder's inode when the watch began: a watch stays with that inode. */
  private readonly watchers = new Map<string, { watcher: fs.FSWatcher; ino: number }>();
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
    if (nativeRecursive) {
      try {
        this.watch(this.dir, '', true);
        return;
      } catch {
        // a system without it after all: folder by folder
      }
    }
    this.watchTree(this.dir, '');
  }

  dispose(): void {
    this.disposed = true;
    this.settle.dispose();
    for (const w of this.watchers.values()) w.watcher.close();
    this.watchers.clear();
  }

  /** `folder` and every folder below it, each with a watch of its own; throws only when the store folder itself cannot be watched. */
  private watchTree(folder: string, rel: string): void {
    const todo: [string, string][] = [[folder, rel]];
    while (todo.length && !this.disposed) {
      const [dir, prefix] = todo.shift()!;
      if (this.watchers.has(dir)) continue;
      try {
        this.watch(dir, prefix, false);
      } catch (e) {
        if (dir === this.dir) throw e;
        // removed since it was listed: its parent heard that; anything else (the watch limit) is said once per folder
        if (fs.existsSync(dir)) this.onError(`cannot watch the store folder ${dir}: ${(e as Error).message}; its changes show on Refresh`);
        continue;
      }
      let entries: fs.Dirent[] = [];
      try {
        entries = fs.readdirSync(dir, { withFileTypes: true });
      } catch {
        // removed meanwhile: its own watch hears that
      }
      for (const e of entries) if (e.isDirectory()) todo.push([path.join(dir, e.name), prefix ? path.join(prefix, e.name) : e.name]);
    }
  }

  private watch(folder: string, rel: string, recursive: boolean): void {
    const ino = fs.statSync(folder).ino;
    const watcher = fs.watch(folder, { recursive }, (_event, name) => this.event(folder, rel, recursive, name?.toString()));
    watcher.on('error', (e) => {
      if (this.watchers.get(folder)?.watcher !== watcher) return;
      this.forget(folder);
      if (!fs.existsSync(folder)) return; // removed: its parent heard that
      this.onError(`store watcher on ${folder} stopped: ${e.message}`);
    });
    this.watchers.set(folder, { watcher, ino });
  }

  /** Closes the watch of `folder` and of every folder below it (gone with it, or about to be watched afresh). */
  private forget(folder: string): void {
    const below = folder + path.sep;
    for (const [f, w] of this.watchers) {
      if (f !== folder && !f.startsWith(below)) continue;
      w.watcher.close();
      this.watchers.delete(f);
    }
  }

  /** Is `folder`'s watch on the folder there now? Not once it was removed, nor when one of its name was made again since. */
  private current(folder: string): boolean {
    const ino = fs.statSync(folder, { throwIfNoEntry: false })?.ino;
    return ino !== undefined && ino === this.watchers.get(folder)?.ino;
  }

  private event(folder: string, rel: string, recursive: boolean, name: string | undefined): void {
    if (this.disposed) return;
    const changed = name === undefined ? rel : rel ? path.join(rel, name) : name;
    if (changed) this.changed(changed);
    if (recursive) return;
    if (!this.current(folder)) return this.forget(folder); // removed: its parent heard that
    if (name === undefined) return;
    // a folder made since (a rollback's evidence, a campaign's steps), or made again under a name whose
    // old watch is not yet let go: watched from now on. What was written in it before its watch began
    // came before this event, so the batch this event joined covers it.
    const child = path.join(folder, name);
    if (!fs.statSync(child, { throwIfNoEntry: false })?.isDirectory()) return;
    if (this.watchers.has(child) && !this.current(child)) this.forget(child);
    if (!this.watchers.has(child)) this.watchTree(child, changed);
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
