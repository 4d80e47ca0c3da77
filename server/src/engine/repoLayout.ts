import * as fs from 'fs';
import * as path from 'path';
import { EngineError } from './errors';

/** Where a working copy keeps its git data; read from the filesystem, no process. */
export interface RepoLayout {
  /** Absolute path of the working copy. */
  root: string;
  /** The per-worktree git dir (HEAD, index, MERGE_HEAD live here). */
  gitDir: string;
  /** The shared git dir (objects, refs, packed-refs). */
  commonDir: string;
}

export async function repoLayout(root: string): Promise<RepoLayout> {
  const dotGit = path.join(root, '.git');
  let stat: fs.Stats;
  try {
    stat = await fs.promises.stat(dotGit);
  } catch {
    const exists = await fs.promises.stat(root).then(() => true, () => false);
    throw exists
      ? new EngineError('NotARepository', 'not a git repository (no .git)', root)
      : new EngineError('RepoMissing', 'repository not found (deleted or moved?)', root);
  }
  let gitDir = dotGit;
  if (stat.isFile()) {
    const text = await fs.promises.readFile(dotGit, 'utf8');
    const m = /^gitdir: (.+)$/m.exec(text);
    if (!m) throw new EngineError('NotARepository', '.git file does not name a git dir', root);
    gitDir = path.resolve(root, m[1].trim());
  }
  let commonDir = gitDir;
  try {
    commonDir = path.resolve(gitDir, (await fs.promises.readFile(path.join(gitDir, 'commondir'), 'utf8')).trim());
  } catch {
    // not a linked worktree
  }
  return { root, gitDir, commonDir };
}

/** What HEAD says: the branch it points to (or null when detached) and its commit (null when unborn). */
export interface HeadState {
  ref: string | null;
  head: string | null;
}

async function readText(file: string): Promise<string | undefined> {
  try {
    return await fs.promises.readFile(file, 'utf8');
  } catch {
    return undefined;
  }
}

async function packedRef(layout: RepoLayout, ref: string): Promise<string | undefined> {
  const text = await readText(path.join(layout.commonDir, 'packed-refs'));
  if (!text) return undefined;
  for (const line of text.split('\n')) {
    if (line.length > 41 && line[40] === ' ' && line.slice(41) === ref) return line.slice(0, 40);
  }
  return undefined;
}

/** Resolves a ref by the files backend's rules: loose file first, then packed-refs. */
export async function resolveRef(layout: RepoLayout, ref: string, depth = 0): Promise<string | null> {
  if (depth > 5) throw new EngineError('GitFailed', `symbolic ref loop at ${ref}`, layout.root);
  const loose = (await readText(path.join(layout.commonDir, ref)))?.trim();
  if (loose?.startsWith('ref: ')) return resolveRef(layout, loose.slice(5), depth + 1);
  if (loose && /^[0-9a-f]{40}$/.test(loose)) return loose;
  return (await packedRef(layout, ref)) ?? null;
}

export async function readHead(layout: RepoLayout): Promise<HeadState> {
  const text = (await readText(path.join(layout.gitDir, 'HEAD')))?.trim();
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
  const [merge, rebaseMerge, rebaseApply, pick, revert] = ['MERGE_HEAD', 'rebase-merge', 'rebase-apply', 'CHERRY_PICK_HEAD', 'REVERT_HEAD'].map(exists);
  if (merge) throw new EngineError('MergeInProgress', 'a merge is in progress (finish or abort it first)', layout.root);
  if (rebaseMerge || rebaseApply) {
    throw new EngineError('RebaseInProgress', 'a rebase is in progress (finish or abort it first)', layout.root);
  }
  if (pick || revert) {
    throw new EngineError('OperationInProgress', `a ${pick ? 'cherry-pick' : 'revert'} is in progress (finish or abort it first)`, layout.root);
  }
}
