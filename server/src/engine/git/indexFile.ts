import * as crypto from 'crypto';
import * as fs from 'fs';
import { writeLooseObject } from './looseObjects';

/**
 * Git's index file read in Node, and the tree it stands for built without a `git write-tree`.
 * A capture needs two trees per repo; building them here saves two processes each time.
 *
 * Only the plain case is read: stage-0 entries of regular files, symlinks and gitlinks, index
 * versions 2–4. A split or sparse index, an unmerged or intent-to-add entry, or anything else
 * unexpected gives `undefined`, and the caller asks git, which knows every case.
 */

export interface IndexEntry {
  /** Path bytes as a latin1 string, so names that are not UTF-8 survive unchanged. */
  path: string;
  /** Octal mode as a tree writes it: 100644, 100755, 120000 or 160000. */
  mode: string;
  id: Buffer;
  /** ctime, mtime, dev, ino, mode, uid, gid, size: the 40 bytes git checks a file against. */
  stat: Buffer;
}

export interface ParsedIndex {
  version: number;
  entries: IndexEntry[];
  /** Some entry carries assume-unchanged or skip-worktree: a rewrite must leave it to git. */
  flagged: boolean;
  /** Trees the index's cache-tree extension still vouches for, by folder ('' is the root). */
  validTrees: Map<string, Buffer>;
}

const modes = new Map([
  [0o100644, '100644'],
  [0o100755, '100755'],
  [0o120000, '120000'],
  [0o160000, '160000'],
]);

const canonicalModes = new Set(modes.values());

export const emptyIndex: ParsedIndex = { version: 2, entries: [], flagged: false, validTrees: new Map() };

export function parseIndex(buf: Buffer): ParsedIndex | undefined {
  if (buf.length < 32 || buf.toString('latin1', 0, 4) !== 'DIRC') return undefined;
  const version = buf.readUInt32BE(4);
  if (version < 2 || version > 4) return undefined;
  const count = buf.readUInt32BE(8);
  const end = buf.length - 20;
  const entries: IndexEntry[] = [];
  let pos = 12;
  let previous = '';
  let flagged = false;
  for (let i = 0; i < count; i++) {
    if (pos + 62 > end) return undefined;
    const mode = modes.get(buf.readUInt32BE(pos + 24));
    const flags = buf.readUInt16BE(pos + 60);
    if (mode === undefined || (flags & 0x3000) !== 0) return undefined; // stage > 0: unmerged
    const stat = pos;
    if (flags & 0xc000) flagged = true;
    let p = pos + 62;
    if (flags & 0x4000) {
      if (version < 3) return undefined;
      // intent-to-add entries are left out of trees by git; skip-worktree ones are not
      if (buf.readUInt16BE(p) & 0x2000) return undefined;
      p += 2;
    }
    let name: string;
    if (version === 4) {
      let strip = 0;
      let byte: number;
      // git's offset varint: 7 bits a byte, each continuation adds one
      do {
        byte = buf[p++];
        strip = (strip << 7) | (byte & 0x7f);
        if (byte & 0x80) strip++;
      } while (byte & 0x80);
      const nul = buf.indexOf(0, p);
      if (nul < 0 || strip > previous.length) return undefined;
      name = previous.slice(0, previous.length - strip) + buf.toString('latin1', p, nul);
      pos = nul + 1;
    } else {
      const nul = buf.indexOf(0, p);
      if (nul < 0) return undefined;
      name = buf.toString('latin1', p, nul);
      // entries are padded with NULs to a multiple of 8 bytes, at least one
      pos += (nul - pos + 8) & ~7;
    }
    // git keeps entries in byte order (stage 0: no name twice); trees are built on that order
    if (i > 0 && name <= previous) return undefined;
    entries.push(new ReadEntry(name, mode, buf, stat));
    previous = name;
  }
  const validTrees = new Map<string, Buffer>();
  while (pos + 8 <= end) {
    const signature = buf.toString('latin1', pos, pos + 4);
    const size = buf.readUInt32BE(pos + 4);
    const body = buf.subarray(pos + 8, pos + 8 + size);
    // a split index keeps entries elsewhere; a sparse one folds folders into entries
    if (signature === 'link' || signature === 'sdir') return undefined;
    if (signature === 'TREE') readCacheTree(body, validTrees);
    pos += 8 + size;
  }
  return { version, entries, flagged, validTrees };
}

/**
 * An entry as read: its id and stat data are views of the index's bytes made when asked. A parse
 * of 100,000 entries made two Buffer objects each, and a rollback parses an index a dozen times
 * (issue 21, item 12).
 */
class ReadEntry implements IndexEntry {
  constructor(
    readonly path: string,
    readonly mode: string,
    private readonly bytes: Buffer,
    /** Where the entry starts in `bytes`: its 40 bytes of stat data, then the 20 of its id. */
    private readonly at: number,
  ) {}

  get id(): Buffer {
    return this.bytes.subarray(this.at + 40, this.at + 60);
  }

  get stat(): Buffer {
    return this.bytes.subarray(this.at, this.at + 40);
  }
}

/** The cache-tree extension: folders in preorder, each "name\0entries subtrees\n" and its id when valid. */
function readCacheTree(body: Buffer, into: Map<string, Buffer>): void {
  let pos = 0;
  const walk = (prefix: string): void => {
    const nul = body.indexOf(0, pos);
    const nl = body.indexOf(0x0a, nul);
    if (nul < 0 || nl < 0) throw new Error('bad cache-tree');
    const name = body.toString('latin1', pos, nul);
    const [entryCount, subtrees] = body
      .toString('latin1', nul + 1, nl)
      .split(' ')
      .map(Number);
    pos = nl + 1;
    const folder = prefix === '' && name === '' ? '' : prefix + name;
    if (entryCount >= 0) {
      into.set(folder, body.subarray(pos, pos + 20));
      pos += 20;
    }
    for (let i = 0; i < subtrees; i++) walk(folder === '' ? '' : folder + '/');
  };
  try {
    if (body.length) walk('');
  } catch {
    into.clear(); // unreadable: build every tree instead
  }
}

/** The index's bytes and times, read through one descriptor so they belong together; undefined when there is none. */
export interface IndexFile {
  bytes: Buffer;
  atime: Date;
  mtime: Date;
  /** mtime to the nanosecond, as git compares it for racily clean entries. */
  mtimeNs: bigint;
}

export function readIndexFile(file: string): IndexFile | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    const stat = fs.fstatSync(fd, { bigint: true });
    return { bytes: fs.readFileSync(fd), atime: new Date(Number(stat.atimeMs)), mtime: new Date(Number(stat.mtimeMs)), mtimeNs: stat.mtimeNs };
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The id of the tree an index stands for, writing each tree object the store may lack as a loose
 * object (so the id can be pinned and read back like one `write-tree` made).
 */
export function writeIndexTree(objectsDir: string, index: ParsedIndex): string {
  const { entries, validTrees } = index;
  const build = (start: number, end: number, folder: string): Buffer => {
    const known = validTrees.get(folder);
    if (known) return known;
    const prefixLength = folder === '' ? 0 : folder.length + 1;
    const parts: Buffer[] = [];
    for (let i = start; i < end;) {
      const rest = entries[i].path.slice(prefixLength);
      const slash = rest.indexOf('/');
      if (slash < 0) {
        parts.push(Buffer.from(`${entries[i].mode} ${rest}\0`, 'latin1'), entries[i].id);
        i++;
        continue;
      }
      const name = rest.slice(0, slash);
      const sub = entries[i].path.slice(0, prefixLength + slash + 1);
      // the folder's entries are the run that starts with `sub`; entries are in git's order (bytes), so
      // its end is found by halving, not by comparing every entry of it at every level above it
      const j = runEnd(entries, i + 1, end, sub);
      parts.push(Buffer.from(`40000 ${name}\0`, 'latin1'), build(i, j, sub.slice(0, -1)));
      i = j;
    }
    return Buffer.from(writeLooseObject(objectsDir, 'tree', Buffer.concat(parts)), 'hex');
  };
  return build(0, entries.length, '').toString('hex');
}

/**
 * The first index in [from, end) whose path does not start with `prefix` ('…/'), all before it
 * doing so: in byte order the paths with that prefix are one run, every one of them below the
 * prefix with its '/' raised to '0' and none of the others after them.
 */
function runEnd(entries: readonly IndexEntry[], from: number, end: number, prefix: string): number {
  const above = prefix.slice(0, -1) + '0';
  let lo = from;
  let hi = end;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (entries[mid].path < above) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** An entry to write; without `stat`, git will look at the file afresh (zeroed stat data). */
export interface NewIndexEntry {
  /** Path bytes as a latin1 string, like IndexEntry's. */
  path: string;
  mode: string;
  id: string;
  stat?: Buffer;
}

/**
 * Writes a version-2 index of `entries`, without extensions. A restore writes two this way: the
 * few files git must check out into the staging folder, and the next index (one process each saved).
 */
export function writeIndex(file: string, entries: readonly NewIndexEntry[]): void {
  // names are latin1 strings of their bytes: comparing the strings is comparing the bytes, as git sorts
  const sorted = [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  // one buffer for the whole file, sized first: no Buffer per entry (a next index of 100,000 entries made three each)
  let size = 12;
  for (const e of sorted) size += (62 + Buffer.byteLength(e.path, 'latin1') + 8) & ~7;
  const out = Buffer.alloc(size + 20);
  out.write('DIRC', 0, 'latin1');
  out.writeUInt32BE(2, 4);
  out.writeUInt32BE(sorted.length, 8);
  let pos = 12;
  for (const e of sorted) {
    // 62 fixed bytes, the name, then 1–8 NULs to a multiple of 8
    const nameLength = Buffer.byteLength(e.path, 'latin1');
    e.stat?.copy(out, pos, 0, 40);
    out.writeUInt32BE(parseInt(e.mode, 8), pos + 24);
    out.write(e.id, pos + 40, 20, 'hex');
    out.writeUInt16BE(Math.min(nameLength, 0xfff), pos + 60);
    out.write(e.path, pos + 62, nameLength, 'latin1');
    pos += (62 + nameLength + 8) & ~7;
  }
  crypto.createHash('sha1').update(out.subarray(0, size)).digest().copy(out, size);
  // written in place: these are private scratch files, read only once complete
  fs.writeFileSync(file, out);
}

/**
 * The index git's `read-tree --reset <tree>` would make from `base` (the index of the worktree as
 * it is): the tree's entries, each keeping base's stat data when its path, blob and mode are the
 * same, the others zeroed so git looks at those files afresh. Like git, an entry whose file
 * changed in the same clock tick as base was written (racily clean) has its size zeroed, so it
 * is never trusted on stat data alone. Undefined when a case is git's to handle.
 */
export function resetIndexEntries(base: ParsedIndex, baseMtimeNs: bigint, tree: readonly NewIndexEntry[]): NewIndexEntry[] | undefined {
  if (base.version !== 2 || base.flagged) return undefined;
  // an old tree's odd modes (100664…) are git's to normalise
  if (tree.some((t) => !canonicalModes.has(t.mode))) return undefined;
  const byPath = new Map(base.entries.map((e) => [e.path, e]));
  return tree.map((t) => {
    const old = byPath.get(t.path);
    if (!old || old.mode !== t.mode || old.id.toString('hex') !== t.id) return t;
    // git's rule (built with nanosecond stat support): racy when not older than the index file
    const mtimeNs = BigInt(old.stat.readUInt32BE(8)) * 1_000_000_000n + BigInt(old.stat.readUInt32BE(12));
    const racy = mtimeNs >= baseMtimeNs;
    const stat = old.stat;
    if (!racy) return { path: t.path, mode: t.mode, id: t.id, stat };
    const smudged = Buffer.from(stat);
    smudged.writeUInt32BE(0, 36);
    return { path: t.path, mode: t.mode, id: t.id, stat: smudged };
  });
}
