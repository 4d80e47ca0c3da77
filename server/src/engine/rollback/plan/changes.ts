import { RepoState } from '../../repo/repoState';

/**
 * The one rule for "this repo changes", and drift as data. Plans, the compare requests and the
 * records all say whether a repo changes through `repoChange`, so a count in the CLI, a tree, a
 * confirmation and the preview cannot disagree.
 */

/** Where HEAD is: the commit (null: unborn) and the branch (null: detached). */
export interface HeadAt {
  head: string | null;
  ref: string | null;
}

/**
 * One edit made since the campaign's last checkpoint by something other than the campaign, that a
 * rollback acts on: a file it writes or removes, the staged state it resets, or HEAD moved (from the
 * checkpoint's, to where it is now).
 */
/**
 * A file's drift may carry `by`: another campaign (its name and id) whose step, recorded after this
 * campaign's last checkpoint, made that change: a parallel session's edit, which a restore refuses and replay keeps.
 */
export type Drift = { kind: 'file'; path: string; by?: string } | { kind: 'index' } | { kind: 'head'; from: HeadAt; to: HeadAt };

export interface RepoChange {
  /** HEAD or the branch differ. */
  headChanged: boolean;
  indexChanged: boolean;
  /** Any of: a file, the index, HEAD or the branch. */
  changed: boolean;
}

/**
 * What differs between a repo's state `from` and `to`. Files are the caller's word (`filesChange`):
 * a plan leaves nested repos and ignored files alone, so its goal's tree can differ where no file is
 * written; the file operations are what count.
 */
export function repoChange(from: RepoState, to: RepoState, filesChange: boolean): RepoChange {
  const headChanged = headMoved(from, to);
  const indexChanged = from.index !== to.index;
  return { headChanged, indexChanged, changed: filesChange || headChanged || indexChanged };
}

/** A finished rollback's repo changed when its state after differs from before; an unknown after counts as changed. */
export function recordedChange(before: RepoState, after: RepoState | null): boolean {
  return !after || repoChange(before, after, before.worktree !== after.worktree).changed;
}

export function headMoved(a: HeadAt, b: HeadAt): boolean {
  return a.head !== b.head || a.ref !== b.ref;
}

/** Drift as a person reads it (the CLI's DRIFT lines, a refusal's list): a path, or the index's or HEAD's words in parentheses. */
export function driftLabel(d: Drift): string {
  if (d.kind === 'file') return d.by ? `${d.path} (changed by campaign ${d.by})` : d.path;
  if (d.kind === 'index') return '(index: staged changes made after the campaign)';
  return `(HEAD moved since the campaign: ${d.to.ref ?? 'detached'} at ${d.to.head?.slice(0, 10) ?? 'unborn'})`;
}

/**
 * What part of a run of a plan overwrites an edit: its file; any file of its repo (the index: a run
 * of some files resets their staged state); only the repo run whole (HEAD: a run of some files leaves
 * HEAD and the branch alone); or nothing (replay keeps every edit).
 */
export type LostWith = { file: string } | 'anyOfRepo' | 'wholeRepo' | 'never';

export function lostWith(mode: 'restore' | 'replay', d: Drift): LostWith {
  if (mode === 'replay') return 'never';
  return d.kind === 'file' ? { file: d.path } : d.kind === 'index' ? 'anyOfRepo' : 'wholeRepo';
}
