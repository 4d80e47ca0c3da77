import * as fs from 'fs';
import * as path from 'path';
import { gitRaw } from '../../git/gitRunner';
import { blobId } from '../../git/looseObjects';
import { ParsedIndex, emptyIndex, parseIndex, readIndexFile, writeIndexTree } from '../../git/indexFile';
import { assertQuiet, readHead } from '../../git/repoLayout';
import { configEntries } from '../../git/conversion';
import { presentIgnoreRules } from '../../repo/ignoreSources';
import { Capture, maxFileBytes } from '../../repo/repoState';
import { sha256 } from '../../util/canonical';
import type { PlannedFile, RollbackPlan } from './plan';

/**
 * A plan's captures, kept for the run of that very plan (issue 24, item 1): the server's preview
 * and its execute, an undo's plan and its run. The run takes a repo's capture at prepare, under the
 * repo's lock and after its guards, and uses it only when `stillCurrent` proves the repo is as the
 * capture saw it; otherwise it captures afresh, as it always did. Never in the plan object (which
 * is hashed and written out): beside it, by identity.
 */
export interface KeptCapture {
  capture: Capture;
  /**
   * Wall clock (ns) taken just before the capture began, less a margin for coarse and truncated
   * file timestamps: a file whose mtime or ctime is not older than this may have been written in
   * the same clock tick as the capture read it (racily clean), so its bytes are read again.
   */
  racyFromNs: bigint;
  /**
   * The folders the capture's files are in, as they were just after it, when they prove what a
   * listing of the untracked files would say (`folderCensus`); absent, the run lists them.
   */
  folders?: FolderCensus;
  /**
   * A rollback's verify capture: the files that rollback changed in the repo, with their inverse
   * diffs. Its undo's plan turns those diffs around where it undoes exactly them (plan.ts
   * `reversedFiles`), rather than asking git to diff the same blobs the other way.
   */
  undoes?: readonly PlannedFile[];
}

/**
 * Every folder of the worktree but the git dir, with its inode, mtime, ctime and link count, and the
 * ignore rules and config git listed the untracked files under.
 * A folder's mtime changes whenever a name in it is added, removed or renamed, and its link count
 * is two plus its subfolders on the filesystems that keep it (ext4, xfs, tmpfs). So while every
 * folder is as recorded and the rules are the same, the untracked files git would list are the
 * ones the capture listed, and proving a kept capture current takes no git process (issue 24,
 * item 1: a third of the execute's prepare was that one process per repo).
 */
export interface FolderCensus {
  /** Path (latin1 of its bytes; '' the root), inode, mtime and ctime in ns (ctime: an mtime put back is still caught), link count. */
  folders: [string, bigint, bigint, bigint, bigint][];
  /**
   * Every `.gitignore` in those folders, the same way (the last number its size): git reads one
   * whether or not it ignores itself (a cache folder's `*`), and an edit of it, which leaves its
   * folder's mtime alone, can make files git skipped its to list.
   */
  rulesFiles: [string, bigint, bigint, bigint, bigint][];
  /** Hash of the repo's config entries and of the ignore rules outside its worktree. */
  rules: string;
}

/** Two seconds: the coarsest timestamps a filesystem keeps (FAT), and any coarse-clock lag well inside it. */
const racyMarginNs = 2_000_000_000n;

const kept = new WeakMap<RollbackPlan, Map<string, KeptCapture>>();

/** The moment to hand `keepCapture` for a capture about to start. */
export function captureStartNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n - racyMarginNs;
}

/**
 * Whether a capture can be kept at all: its temporary index must list the worktree exactly as its
 * tree says (no file stored as other bytes than git's, no gitlink, whose HEAD is not a file's stat).
 * Otherwise it is released, and the run captures afresh.
 */
export async function keepable(capture: Capture): Promise<boolean> {
  return keepableIndex(capture) !== undefined;
}

/** The capture's temporary index, parsed, when the capture can be kept (`keepable`); else undefined. */
function keepableIndex(capture: Capture): ParsedIndex | undefined {
  const t = readIndexFile(capture.tempIndex);
  // the entry count, from the index's header: no parse for a capture that is not kept
  if (t && t.bytes.length >= 12 && t.bytes.readUInt32BE(8) >= keptMaxEntries) return undefined;
  const parsed = t ? parseIndex(t.bytes) : emptyIndex;
  if (!parsed || parsed.flagged || parsed.entries.some((e) => e.mode === '160000')) return undefined;
  return writeIndexTree(path.join(capture.layout.commonDir, 'objects'), parsed) === capture.state.worktree ? parsed : undefined;
}

/**
 * The capture kept for its plan's run, with its folder census when one can be taken; undefined
 * when the capture cannot be kept (`keepable`).
 */
export async function keptCapture(capture: Capture, racyFromNs: bigint): Promise<KeptCapture | undefined> {
  const parsed = keepableIndex(capture);
  if (!parsed) return undefined;
  const folders = await folderCensus(capture, parsed, racyFromNs + racyMarginNs).catch(() => undefined);
  return { capture, racyFromNs, ...(folders ? { folders } : {}) };
}

/**
 * The census of the worktree's folders, taken after the capture that began at `startNs`, at once or
 * later (an undo's, of its rollback's verify): every folder holding a file the capture took or left
 * out, read whole, and every other folder beside them (ignored, empty, holding only ignored files)
 * when it has no subfolder, so that its own mtime tells of any name that comes into it. Usable only
 * when no folder's mtime or ctime moved from shortly before the capture (`folderRacyMarginNs`: a
 * name added in the clock tick of the census would leave the mtime as recorded), each folder's link
 * count is two plus the subfolders read in it (a filesystem that does not count them, or a listing
 * that did not say what is a folder, fails this), and no folder holds a repo of its own. A folder
 * outside the capture's that has subfolders (node_modules) is not walked: the run lists instead, as
 * git would have to read that folder to learn what is ignored in it. So the census costs about as
 * many reads as the capture has folders. Otherwise undefined: the run lists.
 */
async function folderCensus(capture: Capture, parsed: ParsedIndex, startNs: bigint): Promise<FolderCensus | undefined> {
  // the folders of the capture's files (latin1 of their bytes, '' the root)
  const lit = new Set<string>(['']);
  const names = [...parsed.entries.map((e) => e.path), ...(capture.state.leftOut ?? []).map((l) => Buffer.from(l.path, 'utf8').toString('latin1'))];
  for (const p of names) for (let i = p.indexOf('/'); i >= 0; i = p.indexOf('/', i + 1)) lit.add(p.slice(0, i));
  const root = capture.layout.root;
  const rootBytes = Buffer.from(root + path.sep);
  const absOf = (rel: string) => (rel === '' ? Buffer.from(root) : Buffer.concat([rootBytes, Buffer.from(rel, 'latin1')]));
  const old = (ns: bigint) => ns < startNs - folderRacyMarginNs(ns);
  const folders: FolderCensus['folders'] = [];
  const rulesFiles: FolderCensus['rulesFiles'] = [];
  /** The folder's stat and subfolders read, recorded; false when it cannot vouch. */
  const take = (rel: string, walk: (sub: string) => void): boolean => {
    const abs = absOf(rel);
    const st = fs.lstatSync(abs, { bigint: true, throwIfNoEntry: false });
    // its ctime too: a name added and the mtime put back (tar, rsync and cp -p restore a folder's
    // mtime) leaves a ctime no one can set back, and a census taken after that must not vouch for it
    if (!st?.isDirectory() || !old(st.mtimeNs) || !old(st.ctimeNs)) return false;
    let subfolders = 0;
    for (const e of fs.readdirSync(abs, { withFileTypes: true, encoding: 'buffer' })) {
      const name = e.name.toString('latin1');
      if (name === '.git') {
        if (rel !== '') return false; // a nested repo (or worktree): git lists it as one
        if (e.isDirectory()) subfolders++;
        continue;
      }
      if (name === '.gitignore') {
        const at = rel === '' ? name : `${rel}/${name}`;
        const f = fs.lstatSync(absOf(at), { bigint: true, throwIfNoEntry: false });
        if (!f || !old(f.mtimeNs) || !old(f.ctimeNs)) return false;
        rulesFiles.push([at, f.ino, f.mtimeNs, f.ctimeNs, f.size]);
      }
      if (!e.isDirectory()) continue;
      subfolders++;
      walk(rel === '' ? name : `${rel}/${name}`);
    }
    if (st.nlink !== BigInt(2 + subfolders)) return false;
    folders.push([rel, st.ino, st.mtimeNs, st.ctimeNs, st.nlink]);
    return true;
  };
  const pending = [''];
  let failed = false;
  for (let rel = pending.pop(); rel !== undefined && !failed; rel = pending.pop()) {
    const took = take(rel, (sub) => {
      if (lit.has(sub)) pending.push(sub);
      else if (!failed) {
        // a folder outside the capture's: it vouches only when it has no subfolder of its own
        let flat = true;
        if (!take(sub, () => (flat = false)) || !flat) failed = true;
      }
    });
    if (!took) failed = true;
  }
  return failed ? undefined : { folders, rulesFiles, rules: await ignoreRulesHash(capture) };
}

/**
 * How long before a capture a folder must have last changed for its mtime to vouch for it. A
 * timestamp with a fraction of a second comes from a filesystem that keeps fine ones (ext4, xfs,
 * tmpfs, btrfs: ns; NTFS: 100 ns), whose clock ticks in a jiffy (at most 10 ms) and lags real time by
 * at most one: 50 ms is well beyond both. A whole second may come from one that keeps seconds or two
 * (FAT): the margin every kept file has (`racyMarginNs`). So a folder a rollback wrote a second ago
 * vouches for itself when an undo is planned, as on a slow filesystem it does not.
 */
function folderRacyMarginNs(mtimeNs: bigint): bigint {
  return mtimeNs % 1_000_000_000n === 0n ? racyMarginNs : 50_000_000n;
}

/** What chooses which files git lists as untracked, outside the worktree's own files: config and the rules files it names. */
async function ignoreRulesHash(capture: Capture): Promise<string> {
  const config = await configEntries(capture.layout.root);
  const rules = presentIgnoreRules(capture.layout, config);
  const parts = rules.flatMap(([name, bytes]) => [Buffer.from(`\0${name}\0${bytes.length}\0`), bytes]);
  return sha256(Buffer.concat([Buffer.from(JSON.stringify(config)), ...parts]));
}

/** Whether every folder of the census is as it was, and the rules too: then no name came or went in any of them, and none is ignored otherwise. */
async function foldersAsRecorded(capture: Capture, census: FolderCensus): Promise<boolean> {
  const root = capture.layout.root;
  const rootBytes = Buffer.from(root + path.sep);
  for (const [folder, ino, mtimeNs, ctimeNs, nlink] of census.folders) {
    const st = fs.lstatSync(folder === '' ? root : Buffer.concat([rootBytes, Buffer.from(folder, 'latin1')]), { bigint: true, throwIfNoEntry: false });
    if (!st?.isDirectory() || st.ino !== ino || st.mtimeNs !== mtimeNs || st.ctimeNs !== ctimeNs || st.nlink !== nlink) return false;
  }
  for (const [file, ino, mtimeNs, ctimeNs, size] of census.rulesFiles) {
    const st = fs.lstatSync(Buffer.concat([rootBytes, Buffer.from(file, 'latin1')]), { bigint: true, throwIfNoEntry: false });
    if (!st || st.ino !== ino || st.mtimeNs !== mtimeNs || st.ctimeNs !== ctimeNs || st.size !== size) return false;
  }
  return (await ignoreRulesHash(capture)) === census.rules;
}

/**
 * Entries from which a capture is not kept. Proving it still current lstats every file from Node, one
 * call at a time, which at 100,000 files costs more than git's own capture does (1.6 s against
 * 0.65 s, `profile.js big`): such a repo's run captures afresh.
 */
const keptMaxEntries = 10_000;

/** Keeps the captures of `plan` (repo path → capture) for its run; a capture kept before for a repo is released. */
export async function keepCaptures(plan: RollbackPlan, captures: ReadonlyMap<string, KeptCapture>): Promise<void> {
  await releaseCaptures(plan);
  if (captures.size) kept.set(plan, new Map(captures));
}

/** Hands the repo's kept capture to its run (which then releases it), or undefined. */
export function takeCapture(plan: RollbackPlan, repo: string): KeptCapture | undefined {
  const m = kept.get(plan);
  const k = m?.get(repo);
  m?.delete(repo);
  return k;
}

/**
 * The captures a committed rollback's verify made, kept in this process for an undo of it (issue 24,
 * item 2): its plan starts from each when `stillCurrent` proves it, instead of capturing again. Only
 * the newest rollbacks keep theirs; a process that exits leaves the temporary indexes to the next
 * capture's sweep of a dead process's leftovers.
 */
const afterRollbacks = new Map<string, Map<string, KeptCapture>>();
const keptRollbacks = 2;

/** Keeps a rollback's verify captures (repo → capture); the oldest kept beyond `keptRollbacks` are released. */
export async function keepAfterRollback(rb: string, captures: ReadonlyMap<string, KeptCapture>): Promise<void> {
  if (captures.size === 0) return;
  afterRollbacks.set(rb, new Map(captures));
  while (afterRollbacks.size > keptRollbacks) {
    const [oldest, m] = afterRollbacks.entries().next().value as [string, Map<string, KeptCapture>];
    afterRollbacks.delete(oldest);
    await Promise.all([...m.values()].map((k) => k.capture.release()));
  }
}

/** Hands a rollback's verify captures to its undo's plan (which releases what it does not keep), or undefined. */
export function takeAfterRollback(rb: string): Map<string, KeptCapture> | undefined {
  const m = afterRollbacks.get(rb);
  afterRollbacks.delete(rb);
  return m;
}

/** Releases every rollback's kept verify captures (a server shutting down). */
export async function releaseAfterRollbacks(): Promise<void> {
  const all = [...afterRollbacks.values()];
  afterRollbacks.clear();
  await Promise.all(all.flatMap((m) => [...m.values()].map((k) => k.capture.release())));
}

/** The repo's kept capture, left in place (for tests and diagnostics). */
export function keptCaptureOf(plan: RollbackPlan, repo: string): KeptCapture | undefined {
  return kept.get(plan)?.get(repo);
}

/** Releases every capture of `plan` no run took: its temporary indexes go. */
export async function releaseCaptures(plan: RollbackPlan): Promise<void> {
  const m = kept.get(plan);
  kept.delete(plan);
  if (m) await Promise.all([...m.values()].map((k) => k.capture.release()));
}

/**
 * True only when a new capture of the repo would give exactly the kept one's state, and a restore may
 * start from its temporary index: HEAD and the branch read again; the real index read again, its tree
 * the capture's index tree; the untracked, not ignored files listed by git under today's rules (the
 * one process), so that the files a capture would take are exactly those the temporary index lists;
 * and every one of those files lstat'ed and found with the stat data the index holds for it. A file
 * that may have changed in the clock tick the capture read it (racily clean) is read and hashed. Any
 * doubt is false: the caller captures afresh, and that capture decides, as it always did.
 */
export async function stillCurrent(k: KeptCapture): Promise<boolean> {
  const { capture, racyFromNs } = k;
  const { layout, state } = capture;
  const root = layout.root;
  assertQuiet(layout); // a merge or rebase begun since is refused as a capture refuses it
  const head = await readHead(layout);
  if (head.head !== state.head || head.ref !== state.ref) return false;
  const real = readIndexFile(path.join(layout.gitDir, 'index'));
  const index = real ? parseIndex(real.bytes) : emptyIndex;
  if (!index || writeIndexTree(path.join(layout.commonDir, 'objects'), index) !== state.index) return false;
  const temp = readIndexFile(capture.tempIndex);
  const captured = temp ? parseIndex(temp.bytes) : emptyIndex;
  if (!captured) return false;
  // paths as latin1 strings of their bytes, as the index parser gives them
  const expected = new Set(index.entries.map((e) => e.path));
  const fresh = new Set<string>();
  if (k.folders && (await foldersAsRecorded(capture, k.folders))) {
    // no name came or went in any folder, under the same rules: git would list what the capture
    // listed, the files it took that the index does not hold and those it left out (the index's
    // tree is the capture's, so it holds the same paths as then)
    for (const e of captured.entries) if (!expected.has(e.path)) fresh.add(e.path);
    for (const left of state.leftOut ?? []) fresh.add(Buffer.from(left.path, 'utf8').toString('latin1'));
  } else {
    // the untracked files by the index as it is now, from a private copy of it: the real one may change meanwhile
    const copy = `${capture.tempIndex}.check`;
    let untracked: Buffer;
    try {
      if (real) fs.writeFileSync(copy, real.bytes); // none: git reads a missing index file as an empty one
      untracked = (await gitRaw(root, ['ls-files', '-o', '--exclude-standard', '-z'], { env: { GIT_INDEX_FILE: copy }, readOnly: true })).stdout;
    } finally {
      fs.rmSync(copy, { force: true });
    }
    for (const name of untracked.toString('latin1').split('\0')) {
      if (name === '') continue;
      if (name.endsWith('/')) return false; // a nested repo: a capture makes it a gitlink
      fresh.add(name);
    }
  }
  // files over the size cap a capture leaves out: still over it, or a capture would take them now
  const rootBytes = Buffer.from(root + path.sep);
  const lstat = (p: string) => {
    try {
      return fs.lstatSync(Buffer.concat([rootBytes, Buffer.from(p, 'latin1')]), { bigint: true, throwIfNoEntry: false });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
      throw e;
    }
  };
  for (const left of state.leftOut ?? []) {
    const p = Buffer.from(left.path, 'utf8').toString('latin1');
    if (!fresh.delete(p)) continue;
    const st = lstat(p);
    if (!st || !st.isFile() || st.size <= BigInt(maxFileBytes) || maxFileBytes === 0) return false;
  }
  for (const p of fresh) expected.add(p);
  const have = new Set<string>();
  for (const e of captured.entries) {
    if (!expected.has(e.path)) return false; // gone from the index and now ignored, or the like
    have.add(e.path);
    const st = lstat(e.path);
    if (!st || !sameStat(e.mode, e.stat, st)) return false;
    if (statNs(e.stat, 0) >= racyFromNs || statNs(e.stat, 8) >= racyFromNs) {
      const abs = Buffer.concat([rootBytes, Buffer.from(e.path, 'latin1')]);
      const bytes = st.isSymbolicLink() ? fs.readlinkSync(abs, { encoding: 'buffer' }) : fs.readFileSync(abs);
      if (blobId(bytes) !== e.id.toString('hex')) return false;
    }
  }
  // what the capture did not list: only files of the index that were deleted then and are still gone
  for (const p of expected) if (!have.has(p) && (fresh.has(p) || lstat(p))) return false;
  return true;
}

/** Seconds and nanoseconds at `at` of an index entry's stat data, as one number of ns. */
function statNs(stat: Buffer, at: number): bigint {
  return BigInt(stat.readUInt32BE(at)) * 1_000_000_000n + BigInt(stat.readUInt32BE(at + 4));
}

/** The index's stat data of an entry against an lstat: ctime, mtime, inode, size (as git keeps them: 32 bits) and the file's kind. */
function sameStat(mode: string, stat: Buffer, st: fs.BigIntStats): boolean {
  const low = (v: bigint) => Number(v & 0xffffffffn);
  const kind = st.isSymbolicLink() ? '120000' : st.isFile() ? ((st.mode & 0o100n) !== 0n ? '100755' : '100644') : 'other';
  return (
    kind === mode &&
    stat.readUInt32BE(0) === low(st.ctimeNs / 1_000_000_000n) &&
    stat.readUInt32BE(4) === Number(st.ctimeNs % 1_000_000_000n) &&
    stat.readUInt32BE(8) === low(st.mtimeNs / 1_000_000_000n) &&
    stat.readUInt32BE(12) === Number(st.mtimeNs % 1_000_000_000n) &&
    stat.readUInt32BE(20) === low(st.ino) &&
    stat.readUInt32BE(36) === low(st.size)
  );
}
