import { GitError, gitRaw, splitZ } from './gitRunner';

export type ChangeKind = 'added' | 'modified' | 'deleted' | 'renamed' | 'mode';

/** What one step did to one file of one repo. Blob ids and modes are git's (`100644`, `120000`…). */
export interface ChangeRecord {
  repo: string;
  path: string;
  /** For renames: where the file was before. */
  oldPath?: string;
  kind: ChangeKind;
  oldBlob: string | null;
  newBlob: string | null;
  oldMode: string | null;
  newMode: string | null;
  /** Line counts; 0 and `binary: true` for binary content. */
  added: number;
  removed: number;
  binary: boolean;
}

const zeroId = '0000000000000000000000000000000000000000';

/**
 * The change records between two trees of one repo, in one process: `diff-tree --raw --numstat`
 * with rename detection. Sorted by path so the same trees always give the same list.
 */
export async function diffTrees(repo: string, from: string, to: string): Promise<ChangeRecord[]> {
  if (from === to) return [];
  let out: Buffer;
  try {
    ({ stdout: out } = await gitRaw(repo, ['diff-tree', '-r', '-z', '-M', '--raw', '--numstat', '--no-commit-id', from, to], { readOnly: true }));
  } catch (e) {
    throw e instanceof GitError ? e.toEngineError() : e;
  }
  return parseRawNumstat(repo, splitZ(out));
}

/** Parses `-z --raw --numstat` output: all raw records first, then the numstat records. */
export function parseRawNumstat(repo: string, fields: readonly string[]): ChangeRecord[] {
  const records: ChangeRecord[] = [];
  let i = 0;
  while (i < fields.length && fields[i].startsWith(':')) {
    const [oldMode, newMode, oldBlob, newBlob, status] = fields[i].slice(1).split(' ');
    const letter = status[0];
    let record: ChangeRecord;
    const base = { repo, added: 0, removed: 0, binary: false };
    if (letter === 'R' || letter === 'C') {
      record = { ...base, kind: letter === 'R' ? 'renamed' : 'added', oldPath: fields[i + 1], path: fields[i + 2], oldBlob, newBlob, oldMode, newMode };
      if (letter === 'C') Object.assign(record, { oldPath: undefined, oldBlob: null, oldMode: null });
      i += 3;
    } else {
      const pathName = fields[i + 1];
      i += 2;
      const kind: ChangeKind =
        letter === 'A' ? 'added' : letter === 'D' ? 'deleted' : oldBlob === newBlob && oldMode !== newMode ? 'mode' : 'modified';
      record = {
        ...base,
        kind,
        path: pathName,
        oldBlob: oldBlob === zeroId ? null : oldBlob,
        newBlob: newBlob === zeroId ? null : newBlob,
        oldMode: oldMode === '000000' ? null : oldMode,
        newMode: newMode === '000000' ? null : newMode,
      };
    }
    records.push(record);
  }
  const byPath = new Map(records.map((r) => [r.path, r]));
  while (i < fields.length) {
    const [added, removed, inlinePath] = fields[i].split('\t');
    let pathName = inlinePath;
    i += 1;
    if (inlinePath === '') {
      // a rename: old and new path follow as fields of their own
      pathName = fields[i + 1];
      i += 2;
    }
    const record = byPath.get(pathName);
    if (!record) continue;
    if (added === '-') record.binary = true;
    else {
      record.added = Number(added);
      record.removed = Number(removed);
    }
  }
  return records.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
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
