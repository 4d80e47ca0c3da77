import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { EngineError } from '../util/errors';
import { decodePath, encodePath } from '../util/pathBytes';
import { GitError, emptyTree, git, gitRaw, splitZ } from './gitRunner';
import type { NewIndexEntry } from './indexFile';
import { readLooseObject, zeroId } from './looseObjects';
import { repoLayout } from './repoLayout';

/**
 * The one tree layer: list a tree, diff two trees, build a tree from edits. Trees that captures
 * wrote are loose objects and are read here in Node; anything else (packed by gc, renames, line
 * counts, sizes) asks git in one process. Both ways give the same answer, names keeping their bytes
 * (util/pathBytes.ts).
 */

/** One entry of a tree listing; `size` is null for gitlinks, and when sizes were not asked for. */
export interface TreeEntry {
  path: string;
  mode: string;
  type: 'blob' | 'commit';
  id: string;
  size: number | null;
}

export type ChangeKind = 'added' | 'modified' | 'deleted' | 'renamed' | 'mode';

/** One path that differs between two trees. A null id or mode: nothing there on that side. */
export interface TreeChange {
  kind: ChangeKind;
  /** For renames: where the file was before. */
  oldPath?: string;
  path: string;
  oldBlob: string | null;
  newBlob: string | null;
  oldMode: string | null;
  newMode: string | null;
  /** Line counts, when asked for; 0 and `binary: true` for binary content. */
  added: number;
  removed: number;
  binary: boolean;
}

/** One entry to set (`mode` and object id) or, with `entry: null`, to remove. */
export interface TreeEdit {
  path: string;
  entry: { mode: string; id: string } | null;
}

/** The empty tree, which no repo stores; the all-zero id stands for "no tree" where git prints one. */
export function isEmptyTree(tree: string): boolean {
  return tree === emptyTree || tree === zeroId;
}

async function objectsDir(repo: string): Promise<string> {
  return path.join((await repoLayout(repo)).commonDir, 'objects');
}

/**
 * Every file of a tree, recursively, in git's path order. `sizes` adds blob sizes (`ls-tree -l`,
 * which reads each blob's header: only when someone will show them).
 */
export async function listTree(repo: string, tree: string, sizes = false): Promise<TreeEntry[]> {
  if (isEmptyTree(tree)) return [];
  if (!sizes) {
    const loose = looseTreeEntries(await objectsDir(repo), tree);
    if (loose) {
      return loose.map((e) => ({
        path: decodePath(Buffer.from(e.path, 'latin1')),
        mode: e.mode,
        type: e.mode === '160000' ? 'commit' : 'blob',
        id: e.id,
        size: null,
      }));
    }
  }
  let out: Buffer;
  try {
    ({ stdout: out } = await gitRaw(repo, ['ls-tree', '-r', '-z', '--full-tree', ...(sizes ? ['-l'] : []), tree], { readOnly: true }));
  } catch (e) {
    if (e instanceof GitError && e.gitCode === 'BadObject') throw new EngineError('MissingObject', `tree ${tree} is missing`, repo);
    throw e instanceof GitError ? e.toEngineError() : e;
  }
  return splitZ(out).map((entry) => {
    const tab = entry.indexOf('\t');
    const [mode, type, id, size] = entry.slice(0, tab).split(/ +/);
    return {
      path: entry.slice(tab + 1),
      mode,
      type: type === 'commit' ? 'commit' : 'blob',
      id,
      size: size === undefined || size === '-' ? null : Number(size),
    };
  });
}

/**
 * Every file of a tree in index order, names as latin1 strings of their bytes (as an index holds
 * them): from loose objects when they are all there, else from one `git ls-tree -r -z`. A goal
 * whose trees gc packed used to fall back to `read-tree --reset`, which re-read the whole index in
 * git: 2 s of a 100,000-file rollback's prepare against about 0.3 s to list and merge here.
 */
export async function indexTreeEntries(repo: string, objects: string, tree: string): Promise<NewIndexEntry[]> {
  const loose = looseTreeEntries(objects, tree);
  if (loose) return loose;
  let out: Buffer;
  try {
    ({ stdout: out } = await gitRaw(repo, ['ls-tree', '-r', '-z', '--full-tree', tree], { readOnly: true }));
  } catch (e) {
    if (e instanceof GitError && e.gitCode === 'BadObject') throw new EngineError('MissingObject', `tree ${tree} is missing`, repo);
    throw e instanceof GitError ? e.toEngineError() : e;
  }
  const entries: NewIndexEntry[] = [];
  for (let pos = 0; pos < out.length;) {
    const end = out.indexOf(0, pos);
    const stop = end < 0 ? out.length : end;
    const tab = out.indexOf(0x09, pos);
    // "<mode> SP <type> SP <id> TAB <path>"
    const s1 = out.indexOf(0x20, pos);
    const s2 = out.indexOf(0x20, s1 + 1);
    entries.push({ path: out.toString('latin1', tab + 1, stop), mode: modeOf(out.toString('latin1', pos, s1)), id: out.toString('latin1', s2 + 1, tab) });
    pos = stop + 1;
  }
  return entries;
}

/**
 * Every file of a tree read straight from loose objects, in index order, with names as latin1
 * strings of their bytes (as an index holds them); undefined when some tree is not loose (packed
 * by gc) or not readable, and the caller asks git instead.
 */
export function looseTreeEntries(objects: string, tree: string): NewIndexEntry[] | undefined {
  if (isEmptyTree(tree)) return [];
  const out: NewIndexEntry[] = [];
  const walk = (id: string, prefix: string): boolean => {
    const object = readLooseObject(objects, id);
    if (object?.type !== 'tree') return false;
    const raw = object.content;
    for (let pos = 0; pos < raw.length;) {
      const space = raw.indexOf(0x20, pos);
      const end = raw.indexOf(0, space);
      const mode = modeOf(raw.toString('latin1', pos, space));
      const name = prefix + raw.toString('latin1', space + 1, end);
      const child = raw.toString('hex', end + 1, end + 21);
      pos = end + 21;
      if (mode === '40000') {
        if (!walk(child, name + '/')) return false;
      } else {
        out.push({ path: name, mode, id: child });
      }
    }
    return true;
  };
  return walk(tree, '') ? out : undefined;
}

/**
 * What differs from `from` to `to`, sorted by path so the same trees always give the same list.
 * Without renames or line counts, two loose trees are compared here; otherwise one
 * `git diff-tree --raw` (with `-M`, `--numstat` as asked) does it.
 */
export async function diffTrees(repo: string, from: string, to: string, opts: { renames?: boolean; lineCounts?: boolean } = {}): Promise<TreeChange[]> {
  if (from === to) return [];
  const changes = (!opts.renames && !opts.lineCounts && looseChanges(await objectsDir(repo), from, to)) || (await gitChanges(repo, from, to, opts));
  return changes.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

async function gitChanges(repo: string, from: string, to: string, opts: { renames?: boolean; lineCounts?: boolean }): Promise<TreeChange[]> {
  const args = ['diff-tree', '-r', '-z', opts.renames ? '-M' : '--no-renames', '--raw', ...(opts.lineCounts ? ['--numstat'] : []), '--no-commit-id', from, to];
  let out: Buffer;
  try {
    ({ stdout: out } = await gitRaw(repo, args, { readOnly: true }));
  } catch (e) {
    throw e instanceof GitError ? e.toEngineError() : e;
  }
  return parseRaw(splitZ(out));
}

/**
 * Parses `diff-tree -z --raw [--numstat]` output: every raw record first, then the numstat records.
 * Lean on purpose (issue 21, item 12): a hundred thousand records made seven strings and two
 * spread copies each, all promoted to the old generation before the last was parsed. Each change
 * is one object of one shape; a mode is the one string of its kind.
 */
export function parseRaw(fields: readonly string[]): TreeChange[] {
  const changes: TreeChange[] = [];
  let i = 0;
  while (i < fields.length && fields[i].charCodeAt(0) === 0x3a) {
    // ":<old mode> <new mode> <old id> <new id> <status>"
    const head = fields[i];
    const s1 = head.indexOf(' ');
    const s2 = head.indexOf(' ', s1 + 1);
    const s3 = head.indexOf(' ', s2 + 1);
    const s4 = head.indexOf(' ', s3 + 1);
    const oldMode = modeOf(head.slice(1, s1));
    const newMode = modeOf(head.slice(s1 + 1, s2));
    const oldBlob = head.slice(s2 + 1, s3);
    const newBlob = head.slice(s3 + 1, s4);
    const letter = head[s4 + 1];
    if (letter === 'R') {
      changes.push(change('renamed', fields[i + 2], oldBlob, newBlob, oldMode, newMode, fields[i + 1]));
      i += 3;
    } else if (letter === 'C') {
      // a copy leaves its source as it was: to the new path it is an addition
      changes.push(change('added', fields[i + 2], null, newBlob, null, newMode));
      i += 3;
    } else {
      const kind: ChangeKind = letter === 'A' ? 'added' : letter === 'D' ? 'deleted' : oldBlob === newBlob && oldMode !== newMode ? 'mode' : 'modified';
      const none = (id: string) => (id === zeroId ? null : id);
      changes.push(change(kind, fields[i + 1], none(oldBlob), none(newBlob), oldMode === '000000' ? null : oldMode, newMode === '000000' ? null : newMode));
      i += 2;
    }
  }
  if (i >= fields.length) return changes;
  const byPath = new Map(changes.map((c) => [c.path, c]));
  while (i < fields.length) {
    const [added, removed, inlinePath] = fields[i].split('\t');
    let pathName = inlinePath;
    i += 1;
    if (inlinePath === '') {
      // a rename or copy: old and new path follow as fields of their own
      pathName = fields[i + 1];
      i += 2;
    }
    const change = byPath.get(pathName);
    if (!change) continue;
    if (added === '-') change.binary = true;
    else {
      change.added = Number(added);
      change.removed = Number(removed);
    }
  }
  return changes;
}

/** One change, its fields always in the same order (one hidden class for all but renames). */
function change(
  kind: ChangeKind,
  path: string,
  oldBlob: string | null,
  newBlob: string | null,
  oldMode: string | null,
  newMode: string | null,
  oldPath?: string,
): TreeChange {
  return oldPath === undefined
    ? { kind, path, oldBlob, newBlob, oldMode, newMode, added: 0, removed: 0, binary: false }
    : { kind, oldPath, path, oldBlob, newBlob, oldMode, newMode, added: 0, removed: 0, binary: false };
}

const knownModes = new Map(['000000', '100644', '100755', '120000', '160000', '40000'].map((m) => [m, m]));

/** The mode as one shared string of its kind: a plan holds two per file. */
function modeOf(text: string): string {
  return knownModes.get(text) ?? text;
}

/**
 * The changes between two loose trees read here, or undefined when some tree on the way is not
 * loose (or not in git's order), and git is asked instead. Walked folder by folder, both sides in
 * step: a folder whose id is the same on both sides is not read at all, and nothing holds either
 * tree's whole listing (at 100,000 files, two listings and a map of one were promoted, then
 * dropped: issue 21, item 12).
 */
function looseChanges(objects: string, from: string, to: string): TreeChange[] | undefined {
  const changes: TreeChange[] = [];
  const text = (p: string) => decodePath(Buffer.from(p, 'latin1'));
  const emit = (kind: ChangeKind, at: string, old: LooseItem | null, now: LooseItem | null): void => {
    changes.push({
      kind,
      path: text(at),
      oldBlob: old?.id ?? null,
      newBlob: now?.id ?? null,
      oldMode: old?.mode ?? null,
      newMode: now?.mode ?? null,
      added: 0,
      removed: 0,
      binary: false,
    });
  };
  /** Every file below a folder only one side has: all added, or all deleted. */
  const oneSide = (tree: string, prefix: string, side: 'added' | 'deleted'): boolean => {
    const items = looseItems(objects, tree);
    if (!items) return false;
    for (const e of items) {
      if (e.mode === '40000') {
        if (!oneSide(e.id, prefix + e.name + '/', side)) return false;
      } else emit(side, prefix + e.name, side === 'deleted' ? e : null, side === 'added' ? e : null);
    }
    return true;
  };
  const walk = (a: string, b: string, prefix: string): boolean => {
    const [left, right] = [isEmptyTree(a) ? [] : looseItems(objects, a), isEmptyTree(b) ? [] : looseItems(objects, b)];
    if (!left || !right) return false;
    let i = 0;
    let j = 0;
    while (i < left.length || j < right.length) {
      const l = left[i];
      const r = right[j];
      // git's tree order: a folder sorts as its name and a slash
      const order = !l ? 1 : !r ? -1 : l.key < r.key ? -1 : l.key > r.key ? 1 : 0;
      if (order < 0) {
        i++;
        if (l.mode !== '40000') emit('deleted', prefix + l.name, l, null);
        else if (!oneSide(l.id, prefix + l.name + '/', 'deleted')) return false;
      } else if (order > 0) {
        j++;
        if (r.mode !== '40000') emit('added', prefix + r.name, null, r);
        else if (!oneSide(r.id, prefix + r.name + '/', 'added')) return false;
      } else {
        i++;
        j++;
        if (l.mode === r.mode && l.id === r.id) continue;
        if (l.mode === '40000') {
          if (!walk(l.id, r.id, prefix + l.name + '/')) return false;
        } else emit(l.id === r.id ? 'mode' : 'modified', prefix + l.name, l, r);
      }
    }
    return true;
  };
  return walk(from, to, '') ? changes : undefined;
}

/** One entry of a loose tree: its name (latin1 string of its bytes), mode, id and its sort key. */
interface LooseItem {
  name: string;
  mode: string;
  id: string;
  key: string;
}

/** The entries of one loose tree, or undefined when it is not loose, not a tree, or not in git's order. */
function looseItems(objects: string, id: string): LooseItem[] | undefined {
  const object = readLooseObject(objects, id);
  if (object?.type !== 'tree') return undefined;
  const raw = object.content;
  const items: LooseItem[] = [];
  for (let pos = 0; pos < raw.length;) {
    const space = raw.indexOf(0x20, pos);
    const end = raw.indexOf(0, space);
    if (space < 0 || end < 0 || end + 21 > raw.length) return undefined;
    const mode = modeOf(raw.toString('latin1', pos, space));
    const name = raw.toString('latin1', space + 1, end);
    const item = { name, mode, id: raw.toString('hex', end + 1, end + 21), key: mode === '40000' ? name + '/' : name };
    // the walk relies on the order: a tree out of it is git's to read
    if (items.length && !(items[items.length - 1].key < item.key)) return undefined;
    items.push(item);
    pos = end + 21;
  }
  return items;
}

/**
 * A tree made from `base` (a tree, or an index file copied so it is left alone) with `edits`
 * applied: one `update-index --index-info` on a temporary index named after `beside` (a capture's
 * scratch name), written with `write-tree`.
 */
export async function buildTree(repo: string, beside: string, base: { tree: string } | { indexFile: string }, edits: readonly TreeEdit[]): Promise<string> {
  if (edits.length === 0 && 'tree' in base) return base.tree;
  const temp = `${beside}.tree-${crypto.randomBytes(3).toString('hex')}`;
  const env = { GIT_INDEX_FILE: temp };
  const info = edits.map((e) =>
    Buffer.concat([Buffer.from(e.entry ? `${e.entry.mode} ${e.entry.id}\t` : `0 ${zeroId}\t`), encodePath(e.path), Buffer.from([0])]),
  );
  try {
    if ('indexFile' in base) await fs.promises.copyFile(base.indexFile, temp);
    else await git(repo, ['read-tree', base.tree], { env });
    if (info.length) await git(repo, ['update-index', '-z', '--index-info'], { env, input: Buffer.concat(info) });
    return await git(repo, ['write-tree'], { env });
  } finally {
    await fs.promises.rm(temp, { force: true });
  }
}
