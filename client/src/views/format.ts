import * as path from 'path';
import type { RollbackRecord, StoredChangeRecord } from '../../../server/src/protocol';

/** Short forms shared by the trees, quick picks and messages. */

/** "snap_1a2b3c4d": enough of an id to tell it apart in a title or a description. */
export function shortId(id: string): string {
  const cut = id.indexOf('_') + 1;
  return id.slice(0, cut + 8);
}

export function shortHash(hash: string | null | undefined): string {
  return hash ? hash.slice(0, 8) : 'none';
}

/** "just now", "5 min ago", "3 h ago", "2 days ago", then the date. */
export function ago(iso: string, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 45) return 'just now';
  if (s < 3600) return `${Math.max(1, Math.round(s / 60))} min ago`;
  if (s < 86_400) return `${Math.round(s / 3600)} h ago`;
  if (s < 7 * 86_400) return `${Math.round(s / 86_400)} days ago`;
  return new Date(iso).toLocaleDateString();
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** "+12 −3": lines added and removed (U+2212 minus, as VS Code's own diff counts read). */
export function lines(added: number, removed: number): string {
  return `+${added} −${removed}`;
}

export function duration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** The repos a rollback record changed, by the server's word: what the toasts, the tree and the undo confirmation count. */
export function changedRepos(record: { repos: readonly { changed: boolean }[] }): number {
  return record.repos.filter((r) => r.changed).length;
}

/** A repo's display name: its folder name. */
export function repoName(repo: string): string {
  return path.basename(repo);
}

/** The name a snapshot goes by everywhere (trees, picks, dialogs): its message, else its first note, else its id. */
export function snapshotName(s: { id: string; message?: string; notes?: { message: string }[] }): string {
  return s.message || s.notes?.[0]?.message || s.id;
}

/** "today", "yesterday", or the day's date: what a list of snapshots is grouped by. */
export function dayLabel(iso: string, now = new Date()): string {
  const d = new Date(iso);
  const start = (x: Date) => new Date(x.getFullYear(), x.getMonth(), x.getDate()).getTime();
  const days = Math.round((start(now) - start(d)) / 86_400_000);
  if (days <= 0) return 'today';
  if (days === 1) return 'yesterday';
  return d.toLocaleDateString(undefined, {
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    ...(d.getFullYear() !== now.getFullYear() ? { year: 'numeric' } : {}),
  });
}

/** "10 files in 3 repos · HEAD moves in 1 · ⚠ 2 drifted": what a rollback to a snapshot would change, said before it does. */
export function wouldChange(d: {
  totals: { reposChanged: number; files: number; drift: number; unsaved?: number; problems: number };
  repos: { headChanged: boolean; files: number; indexChanged: boolean }[];
  problem?: string;
}): string {
  if (d.problem) return `⚠ cannot compare: ${d.problem}`;
  const t = d.totals;
  const heads = d.repos.filter((r) => r.headChanged).length;
  const edits = t.drift + (t.unsaved ?? 0);
  const parts = [
    t.reposChanged === 0 ? 'same as now: nothing would change' : `${plural(t.files, 'file')} in ${plural(t.reposChanged, 'repo')} would change`,
    heads ? `HEAD moves in ${plural(heads, 'repo')}` : '',
    // the user's own edits since the newest snapshot, checkpoint or rollback of those repos, whoever made it
    edits ? `⚠ ${edits === 1 ? '1 is your edit' : `${edits} are your edits`}, will be lost` : '',
    t.problems ? `⚠ ${plural(t.problems, 'repo')} cannot be compared` : '',
  ];
  return parts.filter(Boolean).join(' · ');
}

/** A change record's tree icon and its theme colour, by kind (the colours git decorations use). */
export const changeKindIcons: Record<StoredChangeRecord['kind'], [string, string]> = {
  added: ['diff-added', 'gitDecoration.addedResourceForeground'],
  modified: ['diff-modified', 'gitDecoration.modifiedResourceForeground'],
  deleted: ['diff-removed', 'gitDecoration.deletedResourceForeground'],
  renamed: ['diff-renamed', 'gitDecoration.renamedResourceForeground'],
  mode: ['symbol-key', 'gitDecoration.modifiedResourceForeground'],
};

/**
 * A rollback or undo by what it did: "Rollback to rename-logger baseline", "Undo of rollback to
 * before the codemod". An undo is named by the rollback it undid, looked up in `all` (the list it
 * was read with); its own target is a safety snapshot, whose name tells nothing. The ids go in the
 * row's description and tooltip, never in its title.
 */
export function rollbackTitle(r: RollbackRecord, all: readonly RollbackRecord[] = []): string {
  if (r.kind !== 'undo') return `Rollback to ${r.target.label}`;
  const undone = r.undoOf ? all.find((x) => x.id === r.undoOf) : undefined;
  if (undone) return `Undo of rollback to ${undone.target.label}`;
  return `Undo of ${r.undoOf ? `rollback ${shortId(r.undoOf)}` : 'a rollback'}`;
}
