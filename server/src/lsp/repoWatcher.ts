import * as fs from 'fs';
import * as path from 'path';
import { Settle } from './settle';

const quietMs = 300;
/** Under constant churn (a build writing files) the client still hears within this time. */
const maxDelayMs = 2000;

/**
 * Watches the files of a few repos (those an open preview shows) and calls `onChange` with the repos
 * that changed once the writes settle. In the git dir only what a plan starts from counts: the index,
 * HEAD, branch refs and the merge / rebase markers; objects, logs, locks and our own captures' temp
 * files do not, so planning again (which writes objects) never wakes the watcher it answers.
 */
export class RepoWatcher {
  private readonly watchers = new Map<string, fs.FSWatcher[]>();
  private readonly settle = new Settle<string>(quietMs, maxDelayMs, (repos) => this.onChange(repos));
  private disposed = false;

  constructor(
    private readonly onChange: (repos: string[]) => void,
    private readonly onError: (message: string) => void = () => undefined,
  ) {}

  get size(): number {
    return this.watchers.size;
  }

  /** Watches exactly these repos from now on; folders that do not exist are skipped. */
  watch(repos: readonly string[]): void {
    const wanted = new Set(repos.map((r) => path.resolve(r)));
    for (const [repo, ws] of this.watchers) {
      if (wanted.has(repo)) continue;
      for (const w of ws) w.close();
      this.watchers.delete(repo);
    }
    for (const repo of wanted) if (!this.watchers.has(repo) && !this.disposed) this.start(repo);
  }

  dispose(): void {
    this.disposed = true;
    this.settle.dispose();
    for (const ws of this.watchers.values()) for (const w of ws) w.close();
    this.watchers.clear();
  }

  private start(repo: string): void {
    if (!fs.statSync(repo, { throwIfNoEntry: false })?.isDirectory()) return;
    const ws: fs.FSWatcher[] = [];
    const add = (folder: string, recursive: boolean, prefix: string) => {
      const w = fs.watch(folder, { recursive }, (_event, name) => {
        if (name && counts(path.posix.join(prefix, name.toString().split(path.sep).join('/')))) this.changed(repo);
      });
      w.on('error', (e) => {
        this.onError(`repo watcher on ${folder} stopped: ${e.message}`);
        w.close();
      });
      ws.push(w);
    };
    try {
      add(repo, true, '');
    } catch {
      // no recursive watch here: the top folder and the git dir still tell about most edits and every git operation
      add(repo, false, '');
      const gitDir = path.join(repo, '.git');
      if (fs.statSync(gitDir, { throwIfNoEntry: false })?.isDirectory()) add(gitDir, false, '.git');
    }
    this.watchers.set(repo, ws);
  }

  private changed(repo: string): void {
    this.settle.add(repo);
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
