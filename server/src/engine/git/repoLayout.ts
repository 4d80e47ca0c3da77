import * as fs from 'fs';
import * as path from 'path';
import { EngineError } from '../util/errors';
import { readText } from '../util/quickFs';

/** Where a working copy keeps its git data; read from the filesystem, no process. */
export interface RepoLayout {
  /** Absolute path of the working copy. */
  root: string;
  /** The per-worktree git dir (HEAD, index, MERGE_HEAD live here). */
  gitDir: string;
  /** The shared git dir (objects, refs, packed-refs). */
  commonDir: string;
}

/** Synchronous inside (quickFs.ts says why); async for the callers' sake. */
export async function repoLayout(root: string): Promise<RepoLayout> {
  const dotGit = path.join(root, '.git');
  const stat = fs.statSync(dotGit, { throwIfNoEntry: false });
  if (!stat) {
    throw fs.existsSync(root)
      ? new EngineError('NotARepository', 'not a git repository (no .git)', root)
      : new EngineError('RepoMissing', 'repository not found (deleted or moved?)', root);
  }
  let gitDir = dotGit;
  if (stat.isFile()) {
    const m = /^gitdir: (.+)$/m.exec(fs.readFileSync(dotGit, 'utf8'));
    if (!m) throw new EngineError('NotARepository', '.git file does not name a git dir', root);
    gitDir = path.resolve(root, m[1].trim());
  }
  // a linked worktree names the shared git dir in `commondir`
  const common = readText(path.join(gitDir, 'commondir'));
  return { root, gitDir, commonDir: common === undefined ? gitDir : path.resolve(gitDir, common.trim()) };
}

/** What HEAD says: the branch it points to (or null when detached) and its commit (null when unborn). */
export interface HeadState {
  ref: string | null;
  head: string | null;
}

async function packedRef(layout: RepoLayout, ref: string): Promise<string | undefined> {
  const text = readText(path.join(layout.commonDir, 'packed-refs'));
  if (!text) return undefined;
  for (const line of text.split('\n')) {
    if (line.length > 41 && line[40] === ' ' && line.slice(41) === ref) return line.slice(0, 40);
  }
  return undefined;
}

/** Resolves a ref by the files backend's rules: loose file first, then packed-refs. */
export async function resolveRef(layout: RepoLayout, ref: string, depth = 0): Promise<string | null> {
  if (depth > 5) throw new EngineError('GitFailed', `symbolic ref loop at ${ref}`, layout.root);
  const loose = readText(path.join(layout.commonDir, ref))?.trim();
  if (loose?.startsWith('ref: ')) return resolveRef(layout, loose.slice(5), depth + 1);
  if (loose && /^[0-9a-f]{40}$/.test(loose)) return loose;
  return (await packedRef(layout, ref)) ?? null;
}

export async function readHead(layout: RepoLayout): Promise<HeadState> {
  const text = readText(path.join(layout.gitDir, 'HEAD'))?.trim();
  if (!text) throw new EngineError('NotARepository', 'HEAD is missing', layout.root);
  if (text.startsWith('ref: ')) {
    const ref = text.slice(5);
    return { ref, head: await resolveRef(layout, ref) };
  }
  return { ref: null, head: text };
}

/**
 * Refuses a repo in the middle of a merge, rebase, cherry-pick or revert: its state is not one a
 * snapshot could restore, and touching it would lose the user's resolution work.
 */
export function assertQuiet(layout: RepoLayout): void {
  // synchronous: five stats of names that are almost never there, on every capture
  const exists = (name: string) => fs.existsSync(path.join(layout.gitDir, name));
  const [merge, rebaseMerge, rebaseApply, pick, revert, bisect] = [
    'MERGE_HEAD',
    'rebase-merge',
    'rebase-apply',
    'CHERRY_PICK_HEAD',
    'REVERT_HEAD',
    'BISECT_LOG',
  ].map(exists);
  if (merge) throw new EngineError('MergeInProgress', 'a merge is in progress (finish or abort it first)', layout.root);
  // `git am` keeps its state in rebase-apply too, marked by an `applying` file
  if (rebaseApply && exists(path.join('rebase-apply', 'applying'))) {
    throw new EngineError('OperationInProgress', 'a `git am` is in progress (finish it or run `git am --abort` first)', layout.root);
  }
  if (rebaseMerge || rebaseApply) {
    throw new EngineError('RebaseInProgress', 'a rebase is in progress (finish or abort it first)', layout.root);
  }
  if (bisect) throw new EngineError('OperationInProgress', 'a bisect is in progress (finish it with `git bisect reset` first)', layout.root);
  if (pick || revert) {
    throw new EngineError('OperationInProgress', `a ${pick ? 'cherry-pick' : 'revert'} is in progress (finish or abort it first)`, layout.root);
  }
}

/**
 * Every ref under `prefixes` (e.g. `refs/heads/`) and the object it names, read as git's files
 * backend keeps them: packed-refs first, loose files over them. Symbolic refs (`refs/remotes/origin/HEAD`)
 * are left out: they name a ref, not a commit. No process: a campaign records these at every
 * checkpoint, beside a capture that already costs its repo a few.
 */
export function readRefs(layout: RepoLayout, prefixes: readonly string[]): Map<string, string> {
  const refs = new Map<string, string>();
  const wanted = (name: string) => prefixes.some((p) => name.startsWith(p));
  const packed = readText(path.join(layout.commonDir, 'packed-refs'));
  if (packed) {
    for (const line of packed.split('\n')) {
      // `<id> <name>`; `^<id>` lines peel the tag above them, and `#` starts the header
      if (line.length > 41 && line[40] === ' ' && /^[0-9a-f]{40}$/.test(line.slice(0, 40)) && wanted(line.slice(41)))
        refs.set(line.slice(41), line.slice(0, 40));
    }
  }
  const walk = (rel: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(path.join(layout.commonDir, rel), { withFileTypes: true });
    } catch {
      return; // no such folder: no loose refs there
    }
    for (const e of entries) {
      const name = `${rel}/${e.name}`;
      if (e.isDirectory()) walk(name);
      else if (e.isFile() && !e.name.endsWith('.lock')) {
        const text = readText(path.join(layout.commonDir, name))?.trim();
        if (text && /^[0-9a-f]{40}$/.test(text)) refs.set(name, text);
      }
    }
  };
  for (const p of prefixes) walk(p.replace(/\/$/, ''));
  return refs;
}

/**
 * The remotes named in the repo's own config (`[remote "origin"]`), read without a process: enough
 * to tell the remote from the branch in `refs/remotes/<remote>/<branch>` when a remote's name holds
 * a slash. A remote defined only in an included file is missed here; the first path segment stands in for it.
 */
export function configuredRemotes(layout: RepoLayout): string[] {
  const text = readText(path.join(layout.commonDir, 'config')) ?? '';
  const names = new Set<string>();
  for (const m of text.matchAll(/^\s*\[\s*remote\s+"((?:[^"\\\n]|\\.)*)"\s*\]/gim)) names.add(m[1].replace(/\\(.)/g, '$1'));
  return [...names];
}
