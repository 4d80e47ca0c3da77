import { TreeChange, diffTrees } from './trees';

export type { ChangeKind } from './trees';

/** What one step did to one file of one repo. Blob ids and modes are git's (`100644`, `120000`…). */
export interface ChangeRecord extends TreeChange {
  repo: string;
}

/** The change records between two trees of one repo: renames found, lines counted, in one process. */
export async function changeRecords(repo: string, from: string, to: string): Promise<ChangeRecord[]> {
  const changes = await diffTrees(repo, from, to, { renames: true, lineCounts: true });
  return changes.map(({ added, removed, binary, kind, oldPath, path, oldBlob, newBlob, oldMode, newMode }) => ({
    repo,
    added,
    removed,
    binary,
    kind,
    ...(oldPath === undefined ? {} : { oldPath }),
    path,
    oldBlob,
    newBlob,
    oldMode,
    newMode,
  }));
}

export interface ChangeCounts {
  added: number;
  modified: number;
  deleted: number;
  renamed: number;
  mode: number;
  linesAdded: number;
  linesRemoved: number;
}

export function countChanges(records: readonly ChangeRecord[]): ChangeCounts {
  const counts: ChangeCounts = { added: 0, modified: 0, deleted: 0, renamed: 0, mode: 0, linesAdded: 0, linesRemoved: 0 };
  for (const r of records) {
    counts[r.kind]++;
    counts.linesAdded += r.added;
    counts.linesRemoved += r.removed;
  }
  return counts;
}
