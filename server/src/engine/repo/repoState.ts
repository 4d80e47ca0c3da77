import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { EngineError, asEngineError } from '../util/errors';
import { GitError, git, gitRaw } from '../git/gitRunner';
import { bytesMayConvert, configEntries, isAttributesFile } from '../git/conversion';
import { recordIgnoreRules } from './ignoreSources';
import { blobId, writeLooseObject } from '../git/looseObjects';
import { emptyIndex, parseIndex, readIndexFile, writeIndexTree } from '../git/indexFile';
import { RepoLayout, assertQuiet, readHead, repoLayout } from '../git/repoLayout';
import { ownerAlive, processTag } from '../util/processes';

/** What a snapshot records of one repo. Trees and commits are object ids in the repo's own store. */
export interface RepoState {
  /** Commit HEAD resolves to; null when the branch is unborn. */
  head: string | null;
  /** Branch HEAD points to (`refs/heads/…`); null when detached. */
  ref: string | null;
  /** Tree of the staged state. */
  index: string;
  /** Tree of tracked + untracked-not-ignored files as they are on disk (modes and symlinks kept). */
  worktree: string;
  /**
   * The ignore rules outside the worktree as they were (repo/ignoreSources.ts): a tree of
   * `info/exclude` and `core.excludesFile`, absent when neither had a rule (and in states captured
   * before it was recorded). A rollback to this state leaves what they ignored then alone.
   * Not part of `sameState`: rules are not content.
   */
  ignoreRules?: string;
  /**
   * Untracked files over the size cap (`maxFileBytes`), left out of `worktree` and named here: no
   * copy of them is kept, so no rollback removes or replaces them. Absent when none. Not part of `sameState`.
   */
  leftOut?: { path: string; size: number }[];
}

/**
 * The per-file size cap of a capture: an untracked file larger than this is not captured (git
 * would hash and store it at every checkpoint). $CODECONTEXT_MAX_FILE_BYTES, default 100 MB; 0: no cap.
 * Read once per process, so a plan and its prepare capture alike.
 */
export const maxFileBytes: number = (() => {
  const v = process.env.CODECONTEXT_MAX_FILE_BYTES;
  return v !== undefined && /^[0-9]{1,15}$/.test(v) ? Number(v) : 100 * 1024 * 1024;
})();

/**
 * Captures a repo's state without touching its worktree, index or HEAD: the real index is copied
 * to a temporary one (keeping its stat cache, so unchanged files are not re-hashed) and only that
 * copy is written. Ignored files never enter the worktree tree because `add -A` skips them.
 */
export async function captureRepoState(root: string, options: CaptureOptions = {}): Promise<RepoState> {
  const captured = await captureWithIndex(root, options);
  await captured.release();
  return captured.state;
}

/** A capture whose temporary index (matching the worktree, stat cache intact) is kept for reuse. */
export interface Capture {
  state: RepoState;
  layout: RepoLayout;
  /** Index file that lists the worktree as captured (on tmpfs when the machine has one). */
  tempIndex: string;
  /**
   * A name prefix inside the git dir for what must sit on the repo's own filesystem: a restore's
   * next index and staging folder, which are renamed into place.
   */
  scratch: string;
  /** Set once a restore checked files out into the repo's stage folder: release empties it. */
  staged?: boolean;
  /** Removes the temporary index and everything named after `scratch`. */
  release(): Promise<void>;
}

/**
 * Where temporary indexes go: tmpfs when there is one. Git rewrites such an index on every
 * `add`, and on a disk filesystem each rewrite allocates a new inode and frees the old one's
 * blocks, which showed up as kernel time in every capture (npm run bench).
 */
let tempFolder: string | undefined;
function tempIndexFolder(gitDir: string): string {
  if (tempFolder === undefined) {
    tempFolder = '';
    try {
      if (process.platform === 'linux' && fs.statSync('/dev/shm').isDirectory()) {
        fs.accessSync('/dev/shm', fs.constants.W_OK);
        tempFolder = '/dev/shm';
        sweep(tempFolder);
      }
    } catch {
      // no tmpfs: the git dir it is
    }
  }
  return tempFolder || gitDir;
}

export interface CaptureOptions {
  /**
   * The untracked files over the size cap are known: those left out of the states the capture will
   * be compared with (a run's prepare: its plan's; its verify: its goal's and its prepare's). No
   * listing of the untracked files is made; these are left out by name and every other file is
   * captured, so one that appeared meanwhile, of any size, makes the state differ from the expected
   * one, as a small one always did. One git process instead of two (issue 24).
   */
  leftOut?: readonly { path: string; size: number }[];
}

/** Like captureRepoState, but hands over the temporary index, which a restore reuses as its base. */
export async function captureWithIndex(root: string, options: CaptureOptions = {}): Promise<Capture> {
  const layout = await repoLayout(root);
  assertQuiet(layout);
  removeDeadLeftovers(layout.gitDir);
  const { head, ref } = await readHead(layout);
  // the owner's start time too: a killed process's leftovers are swept even once its pid is another's
  const name = `codecontext-${processTag()}-${crypto.randomBytes(4).toString('hex')}`;
  const tempIndex = path.join(tempIndexFolder(layout.gitDir), `${name}.index`);
  const scratch = path.join(layout.gitDir, name);
  const release = async () => {
    const left = [tempIndex, `${tempIndex}.lock`, `${tempIndex}.checkout`, `${scratch}.next`].filter((f) => fs.existsSync(f));
    await Promise.all(left.map((f) => fs.promises.rm(f, { force: true, recursive: true })));
    if (capture.staged) emptyStage(layout);
  };
  const capture: Capture = { state: { head, ref, index: '', worktree: '' }, layout, tempIndex, scratch, release };
  // a git still writing the temporary index when a failure releases it would leave its lock behind
  let updated: Promise<boolean> | undefined;
  let early: Promise<void> | undefined;
  try {
    const objects = path.join(layout.commonDir, 'objects');
    const realIndex = readIndexFile(path.join(layout.gitDir, 'index'));
    const copyIndex = () => {
      if (!realIndex) return;
      fs.writeFileSync(tempIndex, realIndex.bytes);
      // Git trusts an entry's stat data only when the file is older than the index file; the copy
      // must keep the original's timestamp, or a same-size edit made in the second the index was
      // written (a "racily clean" entry) would be taken as unchanged and lost from the worktree tree.
      fs.utimesSync(tempIndex, realIndex.atime, realIndex.mtime);
    };
    copyIndex();
    const env = { GIT_INDEX_FILE: tempIndex };
    // the size cap's listing of untracked files runs while Node builds the index tree (it reads the
    // temporary index's entries, which nothing before the add changes); awaited before the add
    const lists = maxFileBytes > 0 && !options.leftOut;
    const overCapped = lists ? overCap(root, env, maxFileBytes) : Promise.resolve(undefined);
    overCapped.catch(() => undefined); // a failure is thrown where it is awaited, never unhandled (a step before may throw first)
    // No listing (a run's prepare and its verify, which know the files over the cap): the one `add -A`
    // starts now, and Node reads the real index, builds its tree and looks for attributes files while
    // git walks the worktree. At 100,000 files that Node work was a third of the capture, after or
    // before git's instead of beside it (issue 24, item 4). An index with assume-unchanged or
    // skip-worktree entries is added again once they are cleared (`distrustFlags`).
    const known = lists ? undefined : knownLeftOut(root, options.leftOut);
    early = known
      ? addAll(
          root,
          env,
          known.map((f) => f.path),
        )
      : undefined;
    early?.catch(() => undefined); // thrown where it is awaited, never unhandled
    const treeOf = async (parsed: ReturnType<typeof parseIndex>): Promise<string> =>
      parsed ? writeIndexTree(objects, parsed) : git(root, ['write-tree'], { env });
    const real = realIndex ? parseIndex(realIndex.bytes) : emptyIndex;
    // assume-unchanged and skip-worktree entries are promises not to look: a capture looks anyway
    if (realIndex && (!real || real.flagged)) {
      // an add that began saw the flags (and an index git must read is read by git below): it is
      // undone with a fresh copy, and the add runs after the flags are cleared, as it always did
      if (early) {
        const begun = early.catch(() => undefined);
        early = undefined;
        await begun;
        copyIndex();
      }
      await distrustFlags(root, env);
    }
    // A large repo's tracked files are brought up to date while git lists the untracked ones, and
    // only the untracked files under the cap are added after: the worktree is walked once, not twice
    // (issue 23's latency). Started before Node builds the index tree and looks for attributes
    // files, which then cost nothing on the capture's critical path. A small repo's walk costs less
    // than the extra git process: one `add -A`.
    updated =
      lists && real && real.entries.length >= splitAddEntries
        ? git(root, ['add', '-u'], { env }).then(
            () => true,
            (e: unknown) => (e instanceof GitError ? false : Promise.reject(e)),
          )
        : undefined;
    updated?.catch(() => undefined); // thrown where it is awaited below, never unhandled
    // the real index's tree, from its entries in Node; `add -u` runs only on an index Node parsed, so a
    // `write-tree` here still reads the untouched copy
    const index = await treeOf(real);
    const config = await configEntries(root);
    const ignoreRules = recordIgnoreRules(layout, config);
    // git reads a `.gitattributes` the index has and the disk no longer does. Only such names count
    // here: the folders attributes could be read from are those of the files on disk (`add`'s entries)
    const trackedAttributes = async (): Promise<boolean> => {
      if (!realIndex) return false;
      // one search of the bytes instead of 100,000 names; version 4 shares names' prefixes, so its names are looked at
      if (real && real.version < 4 && !realIndex.bytes.includes('.gitattributes')) return false;
      return (real ?? { entries: await listIndexEntries(root, path.join(layout.gitDir, 'index')) }).entries.some((e) => isAttributesFile(e.path));
    };
    // While git lists the untracked files (or adds), Node looks for attributes files in the folders of
    // every tracked path (a superset of what `add` will keep, so never a folder too few), and then of
    // the new ones: the look is off the capture's critical path (issue 24, item 4)
    const trackedMayConvert = real && realIndex ? bytesMayConvert(layout, pathsOf(real.entries), config) : undefined;
    // both settled before anything else, so no git is left writing the temporary index when a failure releases it
    const [listing, updating] = await Promise.allSettled([overCapped, updated]);
    if (listing.status === 'rejected') throw listing.reason;
    if (updating.status === 'rejected') throw updating.reason;
    const listed = listing.value;
    // Embedded repos become gitlinks, as they would in a commit; their own files are the nested
    // repo's business and are captured as a repo of their own.
    const leftOut = listed?.over ?? known ?? [];
    if (early) await early;
    else if (!(updating.value && listed && (await addListed(root, env, listed.kept))))
      await addAll(
        root,
        env,
        leftOut.map((f) => f.path),
      );
    // no index written when there was none and nothing to add: the empty tree
    const added = readIndexFile(tempIndex)?.bytes;
    // parsed once for both: at 100,000 files each parse is tens of MB (issue 21, item 12)
    const parsedAdded = added ? parseIndex(added) : emptyIndex;
    // the folders of the files the add took that the real index does not have: the listed untracked
    // files, or (no listing) those the two indexes' entries, both in name order, say
    const newPaths = listed ? listed.untracked : real && parsedAdded ? pathsAdded(real.entries, parsedAdded.entries) : undefined;
    const mayConvert = trackedMayConvert === undefined || newPaths === undefined ? undefined : trackedMayConvert || bytesMayConvert(layout, newPaths, config);
    // an attributes file `add` took that neither list had (written meanwhile) is looked for by name
    // (one search of the bytes; version 4 shares names' prefixes, so there the folders are looked in again)
    const addedNoAttributes = !!added && !!parsedAdded && parsedAdded.version < 4 && !added.includes('.gitattributes');
    const knownMayConvert = mayConvert === true ? true : mayConvert === false && addedNoAttributes ? false : undefined;
    const worktree =
      (await diskBytesTree(root, layout, objects, tempIndex, added, parsedAdded, knownMayConvert ?? trackedAttributes, config)) ?? (await treeOf(parsedAdded));
    capture.state = { head, ref, index, worktree, ...(ignoreRules ? { ignoreRules } : {}), ...(leftOut.length ? { leftOut } : {}) };
    return capture;
  } catch (e) {
    await updated?.catch(() => undefined);
    await early?.catch(() => undefined);
    await release();
    // a full disk stays IoFailed naming its call, a bug stays Internal: neither is git's failure
    throw asEngineError(e, root);
  }
}

/** Those of `known` still on disk over the cap, with their size now: what a capture given them leaves out. */
function knownLeftOut(root: string, known: CaptureOptions['leftOut']): { path: string; size: number }[] {
  if (!known?.length || maxFileBytes === 0) return []; // no cap in this process: nothing is left out
  const names = [...new Set(known.map((f) => f.path))];
  return names.flatMap((name) => {
    const st = fs.lstatSync(path.join(root, name), { throwIfNoEntry: false });
    return st?.isFile() && st.size > maxFileBytes ? [{ path: name, size: st.size }] : [];
  });
}

/** Tracked entries from which a capture splits its `add -A` in two (`add -u` beside the untracked listing, then the listed files). */
const splitAddEntries = 10_000;

/**
 * Adds the listed untracked files (latin1 strings of their names' bytes) to the temporary index,
 * each by its literal name. False when git refused (a file gone since it was listed, a nested repo
 * with no commit): the caller runs the whole `add -A` instead, which copes with those.
 */
async function addListed(root: string, env: Record<string, string>, names: readonly string[]): Promise<boolean> {
  if (names.length === 0) return true;
  // beyond a few thousand names git's matching of each against every pathspec costs more than a walk
  if (names.length > 2000) return false;
  const input = Buffer.concat(names.flatMap((n) => [Buffer.from(n, 'latin1'), Buffer.from([0])]));
  try {
    await gitRaw(root, ['-c', 'advice.addEmbeddedRepo=false', 'add', '--pathspec-from-file=-', '--pathspec-file-nul'], {
      env: { ...env, GIT_LITERAL_PATHSPECS: '1' },
      input,
    });
    return true;
  } catch (e) {
    if (e instanceof GitError) return false;
    throw e;
  }
}

/**
 * Untracked, not ignored files larger than `cap` bytes; every untracked name listed, and those
 * under the cap (latin1 strings of their bytes).
 */
async function overCap(
  root: string,
  env: Record<string, string>,
  cap: number,
): Promise<{ over: { path: string; size: number }[]; untracked: string[]; kept: string[] }> {
  const { stdout } = await gitRaw(root, ['ls-files', '-o', '--exclude-standard', '-z'], { env, readOnly: true });
  // names as bytes for lstat; as git's pathspec reads them (UTF-8 arguments) for the add's exclusion
  const names: Buffer[] = [];
  for (let at = 0; at < stdout.length;) {
    const end = stdout.indexOf(0, at);
    if (end < 0) break;
    if (end > at) names.push(stdout.subarray(at, end));
    at = end + 1;
  }
  const rootBytes = Buffer.from(root + path.sep);
  const out: { path: string; size: number }[] = [];
  const kept: string[] = [];
  for (let i = 0; i < names.length; i += 64) {
    const sizes = await Promise.all(
      names.slice(i, i + 64).map((n) =>
        fs.promises.lstat(Buffer.concat([rootBytes, n])).then(
          (st) => (st.isFile() ? st.size : 0),
          () => 0,
        ),
      ),
    );
    sizes.forEach((size, j) => {
      if (size > cap) out.push({ path: names[i + j].toString('utf8'), size });
      else kept.push(names[i + j].toString('latin1'));
    });
  }
  return { over: out, untracked: names.map((n) => n.toString('latin1')), kept };
}

/**
 * Clears, in the temporary index, the bits that make `git add` take an entry on trust: every
 * assume-unchanged bit, and the skip-worktree bit of each file that is on disk (a sparse
 * checkout's absent files stay as the index has them; a present one is captured as it is).
 */
async function distrustFlags(root: string, env: Record<string, string>): Promise<void> {
  const { stdout } = await gitRaw(root, ['ls-files', '-v', '-z'], { env, readOnly: true });
  const assumed: string[] = [];
  const skipped: string[] = [];
  for (const rec of stdout.toString('latin1').split('\0')) {
    if (rec.length < 3) continue;
    const [tag, p] = [rec[0], rec.slice(2)];
    if (tag >= 'a' && tag <= 'z') assumed.push(p);
    if (tag === 'S' || tag === 's') {
      const onDisk = fs.existsSync(Buffer.concat([Buffer.from(root + path.sep), Buffer.from(p, 'latin1')]));
      if (onDisk) skipped.push(p);
    }
  }
  const input = (paths: string[]) => Buffer.concat(paths.map((p) => Buffer.concat([Buffer.from(p, 'latin1'), Buffer.from([0])])));
  if (assumed.length) await gitRaw(root, ['update-index', '--no-assume-unchanged', '-z', '--stdin'], { env, input: input(assumed) });
  if (skipped.length) await gitRaw(root, ['update-index', '--no-skip-worktree', '-z', '--stdin'], { env, input: input(skipped) });
}

/**
 * `git add -A` into the temporary index. A nested repo with no commit yet cannot be recorded as a
 * gitlink and makes git refuse the whole add; such a repo's files are its own (discovery reports
 * it), so it is left out and the add runs again.
 */
async function addAll(root: string, env: Record<string, string>, leftOut: readonly string[] = []): Promise<void> {
  const excluded: string[] = [...leftOut];
  for (;;) {
    try {
      await git(root, ['-c', 'advice.addEmbeddedRepo=false', 'add', '-A', '--', '.', ...excluded.map((p) => `:(exclude,literal)${p}`)], { env });
      return;
    } catch (e) {
      const unborn = e instanceof GitError ? [...e.stderr.matchAll(/error: '(.+)\/' does not have a commit checked out/g)].map((m) => m[1]) : [];
      const fresh = unborn.filter((p) => !excluded.includes(p));
      if (fresh.length === 0 || excluded.length > 1000 + leftOut.length) throw e;
      excluded.push(...fresh);
    }
  }
}

/**
 * The worktree tree with each file's bytes as they are on disk, when git could have stored other
 * bytes (a clean filter, autocrlf, eol attributes: `git add` stores what they make of the file,
 * and a filter that drops lines would lose them). Each regular file is read and, where its bytes
 * differ from what `add` stored, stored as a blob of its own (written loose, no filters), so a
 * rollback writes back exactly what was there. Undefined when nothing could convert (the usual
 * case: `add`'s blobs are the disk bytes) and the caller builds the tree as it is.
 * The temporary index itself keeps git's blobs: it is the index a restore starts from.
 */
async function diskBytesTree(
  root: string,
  layout: RepoLayout,
  objects: string,
  tempIndex: string,
  added: Buffer | undefined,
  /** `added` parsed (undefined: an index only git can read). */
  parsed: ReturnType<typeof parseIndex>,
  /**
   * Whether bytes may convert, when the caller knows it (looked for while git listed the untracked
   * files); else whether the index names a `.gitattributes` (on disk or not), and `added`'s folders are looked in.
   */
  mayConvert: boolean | (() => Promise<boolean>),
  config: readonly [string, string | null][],
): Promise<string | undefined> {
  if (!added || mayConvert === false) return undefined;
  const entries = parsed?.entries ?? (await listIndexEntries(root, tempIndex));
  if (mayConvert !== true && !(await mayConvert()) && !bytesMayConvert(layout, pathsOf(entries), config)) return undefined;
  const rootBytes = Buffer.from(root + path.sep);
  const files = entries.filter((e) => e.mode === '100644' || e.mode === '100755');
  const raw = new Map<string, string>();
  for (let i = 0; i < files.length; i += 32) {
    await Promise.all(
      files.slice(i, i + 32).map(async (e) => {
        // paths are bytes (latin1 strings of them): read by a Buffer path, so any name works
        const content = await fs.promises.readFile(Buffer.concat([rootBytes, Buffer.from(e.path, 'latin1')]));
        const id = blobId(content);
        if (id !== e.id.toString('hex')) {
          writeLooseObject(objects, 'blob', content);
          raw.set(e.path, id);
        }
      }),
    );
  }
  if (raw.size === 0) return undefined;
  // spelled out, not spread: a parsed entry's id and stat are getters (git/indexFile.ts), which a spread drops
  const withDiskBlob = <E extends { path: string; mode: string; id: Buffer }>(e: E) =>
    raw.has(e.path) ? { path: e.path, mode: e.mode, id: Buffer.from(raw.get(e.path)!, 'hex') } : e;
  const disk = entries.map(withDiskBlob);
  // no cached trees: the index's cache-tree vouches for git's blobs, not these (it made the
  // capture flaky: when `add` had nothing to refresh, the cached root tree came back unchanged)
  if (parsed)
    return writeIndexTree(objects, {
      ...parsed,
      validTrees: new Map(),
      entries: parsed.entries.map((e) => (raw.has(e.path) ? { path: e.path, mode: e.mode, id: Buffer.from(raw.get(e.path)!, 'hex'), stat: e.stat } : e)),
    });
  // an index git must read: the changed entries go into a copy of it, and git writes the tree
  const copy = `${tempIndex}.disk`;
  try {
    fs.copyFileSync(tempIndex, copy);
    const info = disk
      .filter((e) => raw.has(e.path))
      .map((e) => Buffer.concat([Buffer.from(`${e.mode} ${e.id.toString('hex')}\t`), Buffer.from(e.path, 'latin1'), Buffer.from([0])]));
    await git(root, ['update-index', '-z', '--index-info'], { env: { GIT_INDEX_FILE: copy }, input: Buffer.concat(info) });
    return await git(root, ['write-tree'], { env: { GIT_INDEX_FILE: copy } });
  } finally {
    fs.rmSync(copy, { force: true });
  }
}

/** The paths of `after` that `before` does not have; both lists in index order, in which latin1 strings compare as their bytes. */
function* pathsAdded(before: readonly { path: string }[], after: readonly { path: string }[]): Iterable<string> {
  let i = 0;
  for (const e of after) {
    while (i < before.length && before[i].path < e.path) i++;
    if (i >= before.length || before[i].path !== e.path) yield e.path;
  }
}

/** The paths of index entries, without an array of them (100,000 names at the size). */
function* pathsOf(list: readonly { path: string }[]): Iterable<string> {
  for (const e of list) yield e.path;
}

/** Stage-0 entries of an index git must read itself (split, sparse…): path (latin1), mode and id. */
async function listIndexEntries(root: string, index: string): Promise<{ path: string; mode: string; id: Buffer }[]> {
  const { stdout } = await gitRaw(root, ['ls-files', '-s', '-z'], { env: { GIT_INDEX_FILE: index }, readOnly: true });
  const out: { path: string; mode: string; id: Buffer }[] = [];
  for (const rec of stdout.toString('latin1').split('\0')) {
    const m = /^(\d{6}) ([0-9a-f]{40}) (\d)\t([\s\S]*)$/.exec(rec);
    if (m && m[3] === '0') out.push({ mode: m[1], id: Buffer.from(m[2], 'hex'), path: m[4] });
  }
  return out;
}

/**
 * Temporary indexes and staging folders that a killed codecontext process left in a git dir (or
 * the tmpfs folder), named `codecontext-<pid>-…`; anything of a live process is left alone. Every
 * capture runs it, and so does recovery, which may end without capturing a repo.
 */
export function removeDeadLeftovers(gitDir: string): void {
  tempIndexFolder(gitDir); // sweeps the tmpfs folder, once per process
  sweep(gitDir);
}

function sweep(folder: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(folder);
  } catch {
    return;
  }
  for (const n of names) {
    const m = /^codecontext-(\d+)-(?:t(\d+)-)?/.exec(n);
    const pid = Number(m?.[1]);
    if (!pid || (pid === process.pid && (m?.[2] === undefined || `${pid}-t${m[2]}` === processTag())) || ownerAlive(pid, m?.[2])) continue;
    try {
      fs.rmSync(path.join(folder, n), { force: true, recursive: true });
    } catch {
      // another user's, in a shared tmpfs: not ours to remove, and no reason to stop
    }
  }
}

/**
 * Where a restore checks out the files it will write: a folder of the git dir that stays between
 * restores. Node-staged files lie in it flat, by number; git's checkout, when needed, goes to
 * `tree/`, whose subfolders mirror the paths written and are kept, since making folders is the
 * costly part of a checkout on a disk filesystem (npm run bench). The repo lock makes one restore
 * at a time its owner.
 */
export function stageFolder(layout: RepoLayout): string {
  return path.join(layout.gitDir, 'codecontext-stage');
}

/**
 * The stage folder, made a real folder of ours before anything is written into it: anything else
 * at its name (a symlink, a file) is removed, the link itself and never what it points to, and
 * the folder is created with `mkdir`, which never follows a link at the last component.
 */
export function ensureStageFolder(layout: RepoLayout): string {
  const stage = stageFolder(layout);
  const st = fs.lstatSync(stage, { throwIfNoEntry: false });
  if (st && !st.isDirectory()) fs.rmSync(stage, { force: true });
  if (!st || !st.isDirectory()) fs.mkdirSync(stage, { mode: 0o700 });
  for (const sub of ['tree']) {
    const p = path.join(stage, sub);
    const s = fs.lstatSync(p, { throwIfNoEntry: false });
    if (s && !s.isDirectory()) fs.rmSync(p, { force: true });
  }
  return stage;
}

/**
 * Removes every file under the stage folder (a killed restore's, or an aborted one's), keeping the
 * folders of `tree/`; any other folder (the layout of earlier versions) goes whole.
 */
export function emptyStage(layout: RepoLayout): void {
  const stage = stageFolder(layout);
  // never followed: a stage folder replaced by a symlink (a campaign command can do it) would
  // have us delete the files of wherever it points; the link itself goes, its target stays
  const st = fs.lstatSync(stage, { throwIfNoEntry: false });
  if (!st) return;
  if (!st.isDirectory()) {
    fs.rmSync(stage, { force: true });
    return;
  }
  const empty = (dir: string, keepFolders: boolean): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (!e.isDirectory()) fs.rmSync(p, { force: true });
      else if (keepFolders || (dir === stage && e.name === 'tree')) empty(p, true);
      else fs.rmSync(p, { force: true, recursive: true });
    }
  };
  empty(stage, false);
}

const objectId = /^[0-9a-f]{40}$/;

/**
 * A goal is only ever taken from a store file, which anyone who can write the store can edit:
 * before it is acted on, its ids must be object ids and its branch a branch or tag. Never a ref
 * of ours under refs/codecontext/ (a rollback would move its own safety pin and point HEAD into
 * it), never anything git would not accept as a branch name.
 */
export function assertRestorable(root: string, goal: RepoState): void {
  const ids = [goal.index, goal.worktree, ...(goal.head === null ? [] : [goal.head])];
  if (ids.some((id) => typeof id !== 'string' || !objectId.test(id))) {
    throw new EngineError('TamperedManifest', 'the target state names something that is not an object id', root);
  }
  const ref = goal.ref;
  if (ref === null) return;
  const ok =
    typeof ref === 'string' &&
    /^refs\/(heads|tags)\/[^\0\s~^:?*[\\]+$/.test(ref) &&
    !ref.includes('..') &&
    !ref.includes('//') &&
    !ref.includes('@{') &&
    !ref.endsWith('/') &&
    !ref.endsWith('.lock') &&
    !ref.split('/').some((c) => c.startsWith('.'));
  if (!ok) throw new EngineError('TamperedManifest', `the target state's HEAD names ${JSON.stringify(ref)}, which is not a branch or tag; refused`, root);
}

/** Same head, branch, index and worktree. */
export function sameState(a: RepoState, b: RepoState): boolean {
  return a.head === b.head && a.ref === b.ref && a.index === b.index && a.worktree === b.worktree;
}
