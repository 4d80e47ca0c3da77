import * as fs from 'fs';
import { RepoSnapshot, loadSnapshot } from '../../snapshot/snapshot';
import { Store } from '../../store/store';
import { RepoState } from '../../repo/repoState';

/**
 * States of repos known at a moment without being a snapshot: a rollback's end states (its record,
 * a room above this one, hands them in: `rollback/records.ts` `rollbackEndStates`).
 */
export interface KnownStates {
  at: string;
  repos: readonly RepoSnapshot[];
}

/**
 * Per repo, the newest state anyone recorded of it: a snapshot or checkpoint (whoever took it, the
 * target itself included), or a rollback's end state. What drift is measured from: a file the
 * rollback would overwrite that changed since then is someone's edit, not the campaign's.
 * Snapshots are read newest first and only until every repo has one (usually one manifest). Writes nothing.
 */
export async function newestStates(store: Store, repos: readonly string[], known: readonly KnownStates[] = []): Promise<Map<string, RepoState>> {
  const wanted = new Set(repos);
  const found = new Map<string, { at: string; state: RepoState }>();
  const take = (at: string, r: RepoSnapshot) => {
    if (!wanted.has(r.path)) return;
    const had = found.get(r.path);
    if (!had || had.at < at) found.set(r.path, { at, state: { head: r.head, ref: r.ref, index: r.index, worktree: r.worktree } });
  };
  for (const k of known) for (const r of k.repos) take(k.at, r);
  // Newest file first: a manifest is written when made and again when a note is added, so its mtime is
  // never before its newest moment. Read without the list's summary cache: planning writes nothing.
  const names = await store.list('snapshots', '.json');
  const files = await Promise.all(
    names.map(async (name) => ({ name, mtime: (await fs.promises.stat(store.path('snapshots', name)).catch(() => undefined))?.mtimeMs ?? 0 })),
  );
  files.sort((a, b) => b.mtime - a.mtime);
  for (const f of files) {
    // every repo has a state newer than this file was last written: nothing in it or after it is newer
    const written = new Date(f.mtime).toISOString();
    if ([...wanted].every((p) => (found.get(p)?.at ?? '') > written)) break;
    const manifest = await loadSnapshot(store, f.name.slice(0, -'.json'.length)).catch(() => undefined);
    if (!manifest) continue;
    // a snapshot's moment is its newest note too: the same states saved again (a checkpoint of unchanged repos) are that snapshot
    const at = [manifest.createdAt, ...(manifest.notes ?? []).map((n) => n.at)].reduce((a, b) => (a > b ? a : b));
    for (const r of manifest.repos) take(at, r);
  }
  return new Map([...found].map(([p, x]) => [p, x.state]));
}
