import * as fs from 'fs';
import * as path from 'path';
import { ignoredFolders } from '../engine/repo/discovery';
import { repoLayout } from '../engine/git/repoLayout';
import { mapLimit } from '../engine/util/pool';
import { plural } from '../engine/util/words';
import { Settle } from './settle';

const quietMs = 300;
/** Under constant churn (a build writing files) the client still hears within this time. */
const maxDelayMs = 2000;
/**
 * Folders watched at most, over all repos. Each is an inotify watch, and those are a per-user
 * budget that VS Code's own file watcher draws on too: a recursive watch of a repo with its
 * node_modules could take tens of thousands and leave the editor unable to watch its workspace.
 */
export const defaultMaxFolders = 4000;

interface Watched {
  /** Folder (absolute) → its watcher. */
  folders: Map<string, fs.FSWatcher>;
  /** Ignored folders (absolute): never watched, nor anything below them. */
  ignored: Set<string>;
  /** Set when the folder budget ran out in this repo: edits in its unwatched folders are not heard. */
  limited: boolean;
  /** Set when a folder's watcher failed: edits there may have gone unheard. */
  lossy: boolean;
  /** Walks under way (the first, or of a folder made since): a folder not yet watched is not heard. */
  walking: number;
  /** When the last walk ended (performance.now()): only from then on is a folder it added heard. */
  walkedAt: number;
  /**
   * Set when some of the repo's tracked files may be where no watcher is: a nested repo (its commits
   * move this repo's gitlink), a node_modules folder the ignore rules do not leave out, or ignore
   * rules edited since the walk (a folder they no longer ignore is not watched).
   */
  blind: boolean;
}

/**
 * Events this process heard, from every watcher. Node watches through one inotify queue per
 * process, and when that queue overflows the kernel drops events without Node saying so: a count
 * near the queue's size since a point in time is the sign that something may have gone unheard.
 */
let heard = 0;
export function eventsHeard(): number {
  return heard;
}

/** What `watch` ended with: the repos watched, the folders that took, and the repos only partly watched. */
export interface WatchState {
  watching: number;
  folders: number;
  limited: string[];
}

/**
 * Watches the files of a few repos (those an open preview shows) and calls `onChange` with the repos
 * that changed once the writes settle. The worktree is watched folder by folder, leaving out the
 * git dir, ignored folders (node_modules, build output: never what a rollback plans) and nested
 * repos (their own), within a budget of folders; a folder made later is watched when it appears.
 * In the git dir only what a plan starts from counts: the index, HEAD, branch refs and the merge /
 * rebase markers; objects, logs, locks and our own captures' temp files do not, so planning again
 * (which writes objects) never wakes the watcher it answers.
 */
export class RepoWatcher {
  private readonly repos = new Map<string, Watched>();
  private touched = new Set<string>();
  private readonly settle: Settle<string>;
  private used = 0;
  private disposed = false;
  /** Each `watch` call waits for the one before, so two lists never interleave. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly onChange: (repos: string[]) => void,
    private readonly onError: (message: string) => void = () => undefined,
    private readonly maxFolders = defaultMaxFolders,
    /** How long the writes must stop before `onChange` hears, and the most it waits under constant churn. */
    timing: { quietMs: number; maxDelayMs: number } = { quietMs, maxDelayMs },
  ) {
    this.settle = new Settle<string>(timing.quietMs, timing.maxDelayMs, (repos) => this.onChange(repos));
  }

  get size(): number {
    return this.repos.size;
  }

  /** Watches exactly these repos from now on; folders that do not exist are skipped. */
  watch(repos: readonly string[]): Promise<WatchState> {
    const next = this.queue.then(() => this.rewatch(repos));
    this.queue = next.catch(() => undefined);
    return next;
  }

  dispose(): void {
    this.disposed = true;
    this.settle.dispose();
    for (const repo of [...this.repos.keys()]) this.stop(repo);
  }

  private async rewatch(repos: readonly string[]): Promise<WatchState> {
    const wanted = new Set(repos.map((r) => path.resolve(r)));
    for (const repo of [...this.repos.keys()]) if (!wanted.has(repo)) this.stop(repo);
    const fresh = [...wanted].filter((r) => !this.repos.has(r));
    const failed = (repo: string) => (e: unknown) => {
      this.stop(repo);
      this.onError(`cannot watch ${repo}: ${(e as Error).message}`);
    };
    // every repo's git dir before any worktree folder: what a plan starts from is never left out of the budget
    await mapLimit(fresh, 4, (repo) => this.startGit(repo).catch(failed(repo)));
    await mapLimit(
      fresh.filter((r) => this.repos.has(r)),
      4,
      (repo) => this.walkWorktree(repo).catch(failed(repo)),
    );
    const limited = [...this.repos]
      .filter(([, w]) => w.limited)
      .map(([r]) => r)
      .sort();
    // one line for all the repos the budget cut, however many (5,000 repos made 5,000 lines)
    const cut = limited.filter((r) => fresh.includes(r));
    if (cut.length) {
      const named = cut.length === 1 ? cut[0] : `${plural(cut.length, 'repo')} (${cut.slice(0, 3).join(', ')}${cut.length > 3 ? ', …' : ''})`;
      this.onError(`watching only some folders of ${named}, the most allowed (${this.maxFolders} in all): edits in the others are seen on Refresh`);
    }
    return { watching: this.repos.size, folders: this.used, limited };
  }

  private stop(repo: string): void {
    const w = this.repos.get(repo);
    if (!w) return;
    for (const f of w.folders.values()) f.close();
    this.used -= w.folders.size;
    this.repos.delete(repo);
  }

  /** The repo's index, HEAD, merge markers and branch refs, wherever its git dir is (a linked worktree's too). */
  private async startGit(repo: string): Promise<void> {
    if (this.disposed || !fs.statSync(repo, { throwIfNoEntry: false })?.isDirectory()) return;
    const layout = await repoLayout(repo);
    // a repo whose ignore rules cannot be read is watched without them, rather than not at all
    const ignored = await ignoredFolders(repo).catch(() => new Set<string>());
    const w: Watched = { folders: new Map(), ignored, limited: false, lossy: false, walking: 1, walkedAt: 0, blind: false };
    this.repos.set(repo, w);
    this.add(repo, w, layout.gitDir, '.git', true);
    if (layout.commonDir !== layout.gitDir) this.add(repo, w, layout.commonDir, '.git', true);
    for (const refs of new Set([path.join(layout.gitDir, 'refs', 'heads'), path.join(layout.commonDir, 'refs', 'heads')])) {
      await this.walk(repo, w, refs, '.git/refs/heads', true);
    }
  }

  private async walkWorktree(repo: string): Promise<void> {
    const w = this.repos.get(repo);
    if (!w) return;
    await this.walk(repo, w, repo, '', false);
    w.walking--; // the first walk, counted from startGit: only now is every folder of the repo watched
    w.walkedAt = performance.now();
  }

  /** Watches `folder` and every folder below it that is not left out, breadth first, within the budget. */
  private async walk(repo: string, w: Watched, folder: string, rel: string, gitDir: boolean): Promise<void> {
    const todo: [string, string][] = [[folder, rel]];
    w.walking++;
    try {
      while (todo.length && !this.disposed && this.repos.get(repo) === w) {
        const [dir, prefix] = todo.shift()!;
        if (!this.add(repo, w, dir, prefix, gitDir)) return;
        const entries = await fs.promises.readdir(dir, { withFileTypes: true }).catch(() => []);
        for (const e of entries) {
          if (!e.isDirectory()) continue; // a symlink to a folder is a file to git: its target is not the repo's
          const child = path.join(dir, e.name);
          const childRel = prefix ? `${prefix}/${e.name}` : e.name;
          if (gitDir || this.watchable(w, child, e.name)) todo.push([child, childRel]);
          else if (e.name !== '.git' && !w.ignored.has(child)) w.blind = true; // a nested repo, or node_modules git may track
        }
      }
    } finally {
      w.walking--;
      w.walkedAt = performance.now();
    }
  }

  /**
   * Whether every write to the repo's files, index, HEAD and branches since its watch was complete is
   * heard: the whole repo watched (not cut by the folder budget, no tracked file where no watcher
   * is), no folder's watcher failed, and no walk under way or ended after `since` (performance.now()
   * of the capture to be trusted: a folder just made is heard only once its walk reached it).
   */
  hearsAll(repo: string, since: number): boolean {
    const w = this.repos.get(path.resolve(repo));
    return !!w && !w.limited && !w.lossy && !w.blind && w.walking === 0 && w.walkedAt <= since;
  }

  /** The repos with any event in their worktree or what a plan starts from since the last call (counted or not). */
  takeTouched(): Set<string> {
    const t = this.touched;
    this.touched = new Set();
    return t;
  }

  /** A worktree folder worth watching: not the git dir, not ignored, not a nested repo of its own. */
  private watchable(w: Watched, folder: string, name: string): boolean {
    if (name === '.git' || name === 'node_modules' || w.ignored.has(folder)) return false;
    return !fs.existsSync(path.join(folder, '.git'));
  }

  /** One folder's watcher; false when the budget is spent (the repo is then only partly watched). */
  private add(repo: string, w: Watched, folder: string, rel: string, gitDir: boolean): boolean {
    if (w.folders.has(folder)) return true;
    if (this.used >= this.maxFolders) {
      w.limited = true;
      return false;
    }
    let watcher: fs.FSWatcher;
    try {
      watcher = fs.watch(folder, (_event, name) => this.event(repo, w, folder, rel, gitDir, name?.toString()));
    } catch {
      return true; // gone or unreadable: nothing there to hear
    }
    watcher.on('error', (e) => {
      if (w.folders.get(folder) !== watcher) return;
      this.forget(w, folder);
      if (!fs.existsSync(folder)) return; // removed: its parent heard that
      w.lossy = true;
      this.onError(`repo watcher on ${folder} stopped: ${e.message}`);
    });
    w.folders.set(folder, watcher);
    this.used++;
    return true;
  }

  /** Closes a folder's watcher and gives its place in the budget back. */
  private forget(w: Watched, folder: string): void {
    const watcher = w.folders.get(folder);
    if (!watcher) return;
    watcher.close();
    w.folders.delete(folder);
    this.used--;
  }

  private event(repo: string, w: Watched, folder: string, rel: string, gitDir: boolean, name: string | undefined): void {
    heard++;
    if (this.repos.get(repo) !== w) return;
    const changed = name === undefined ? rel : rel ? `${rel}/${name}` : name;
    // any worktree event, counted or not (a tracked yarn.lock is still a file of the repo): the repo is captured again
    if (!gitDir || name === undefined || counts(changed)) this.touched.add(repo);
    if (name === '.gitignore') w.blind = true; // the ignored folders the walk left out may have changed
    if (!fs.existsSync(folder)) this.forget(w, folder); // removed: its parent heard that
    if (counts(changed)) this.settle.add(repo);
    if (name === undefined) return;
    // a folder made after the watch began (a new package, a branch named feature/x) is watched from now on
    const child = path.join(folder, name);
    if (w.folders.has(child) || !fs.statSync(child, { throwIfNoEntry: false })?.isDirectory()) return;
    const wanted = gitDir ? changed.startsWith('.git/refs/heads/') : counts(changed) && this.watchable(w, child, name);
    if (wanted) void this.walk(repo, w, child, changed, gitDir);
    else if (!gitDir && name !== '.git' && !w.ignored.has(child)) w.blind = true; // as in walk: a folder no watcher hears
  }
}

/** The git-dir entries a plan depends on; anything else there is git's or our own bookkeeping. */
const gitDirEntries = new RegExp(
  '^\\.git/(index|HEAD|MERGE_HEAD|REBASE_HEAD|CHERRY_PICK_HEAD|REVERT_HEAD|BISECT_LOG|packed-refs|(rebase-merge|rebase-apply|refs/heads)(/.*)?)$',
);

/** Does a change at this repo-relative path (posix) change what a plan would be? */
export function counts(rel: string): boolean {
  if (rel === '.git') return false;
  if (rel.startsWith('.git/')) return gitDirEntries.test(rel);
  const segments = rel.split('/');
  // dependencies and lock files are never what a rollback plans (ignored, or git's own)
  return !segments.includes('node_modules') && !rel.endsWith('.lock');
}
