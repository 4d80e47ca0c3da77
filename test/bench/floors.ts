import * as fs from 'fs';
import * as path from 'path';
import { gitRaw, splitZ } from '../../server/src/engine/git/gitRunner';
import { mapLimit } from '../../server/src/engine/util/pool';
import { SnapshotManifest } from '../../server/src/engine/snapshot/snapshot';
import { parseIndex, readIndexFile, resetIndexEntries, writeIndex } from '../../server/src/engine/git/indexFile';
import { looseTreeEntries } from '../../server/src/engine/git/trees';
import { AppendLog } from '../../server/src/engine/store/appendLog';

/**
 * The two floors of issue 27 beside the recipe (baselines.ts plumbingFloor, `floorRecipe`):
 *
 * - `floorProcs`: the same restore with the fewest git processes a correct tool needs, started the
 *   way ours are (the engine's shell pool, through gitRaw). What must be git is turning objects
 *   into files: blobs are zlib-compressed, may be packed and deltified, and only git reads every
 *   form. One `read-tree --reset -u <goal's worktree tree>` on a throwaway copy of the index writes
 *   every file that differs (and removes the tracked ones the goal lacks). What need not be git,
 *   done here with fs: removing the files the campaign created that the index never tracked (known
 *   from the two snapshots' worktree trees, as ours knows its ops from the plan); the goal index,
 *   written from its loose trees the way ours writes it in prepare (git/indexFile.ts; a second
 *   process only when a tree is packed, as for ours); renaming it into place; the branch's ref file
 *   (what `update-ref` writes, less its reflog line). So one git process per repo. The worktree
 *   and the index cannot share that process: the goal's worktree is not its index (untracked
 *   files, unstaged changes), and read-tree -u writes the tree it installs.
 * - `floorIO`: no git at all, nothing to decide: the exact bytes that differ written where they
 *   go, the campaign's files unlinked, the index and the ref file renamed into place, with the
 *   durability ours promises. Ours fsyncs its journal (one group-committed line per repo at commit,
 *   store/appendLog.ts) and nothing in the worktree, the index or the refs (rollback/tx/restore.ts
 *   renames them, and git does not fsync refs or the index by default): so does this floor, on a
 *   journal of its own. Its inputs (blob bytes, the goal index bytes) are made by `prepareFloorIO`,
 *   off the clock.
 *
 * Both keep that journal (the recipe keeps none), so the two differ only in git. What each repo
 * needs is worked out by `planFloors` before the clock starts, from `from` (the campaign's end
 * state the repos are in, its checkpoint's manifest) and `to` (the state to restore), as ours gets
 * its file operations from the plan. Neither takes a lock or checks anything: they are floors.
 */
export interface FloorWrite {
  path: string;
  /** The mode in `from` ('000000': the file is new). */
  oldMode: string;
  mode: string;
  blob: string;
}

export interface FloorRepoPlan {
  root: string;
  /** `to`'s worktree less `from`'s: what the restore writes and what it removes. */
  writes: FloorWrite[];
  deletes: string[];
  worktreeTree: string;
  indexTree: string;
  ref: string | null;
  head: string;
}

/** What `floorIO` writes, made beforehand: the bytes of each file and of the goal index. */
export interface FloorIOInputs {
  bytes: Map<string, Buffer>;
  index: Buffer;
}

/** The differences between the two manifests' worktree trees, repo by repo (one diff-tree each, off the clock). */
export async function planFloors(from: SnapshotManifest, to: SnapshotManifest, parallelism: number): Promise<FloorRepoPlan[]> {
  const start = new Map(from.repos.map((r) => [r.path, r]));
  return mapLimit(to.repos, parallelism, async (r) => {
    const was = start.get(r.path);
    if (!was) throw new Error(`${r.path}: not in the campaign's state`);
    if (!r.head) throw new Error(`${r.path}: the floors restore a branch with a commit`);
    const diff = async (a: string, b: string) => {
      const out = splitZ((await gitRaw(r.path, ['diff-tree', '-r', '-z', '--no-renames', a, b])).stdout);
      const rows: { path: string; oldMode: string; mode: string; blob: string; status: string }[] = [];
      for (let i = 0; i + 1 < out.length; i += 2) {
        const m = /^:(\d+) (\d+) [0-9a-f]+ ([0-9a-f]+) (\w)/.exec(out[i]);
        if (!m) throw new Error(`${r.path}: cannot read diff-tree's line ${out[i]}`);
        rows.push({ path: out[i + 1], oldMode: m[1], mode: m[2], blob: m[3], status: m[4] });
      }
      return rows;
    };
    const rows = await diff(was.worktree, r.worktree);
    const writes = rows.filter((d) => d.status !== 'D').map(({ path, oldMode, mode, blob }) => ({ path, oldMode, mode, blob }));
    const deletes = rows.filter((d) => d.status === 'D').map((d) => d.path);
    return { root: r.path, writes, deletes, worktreeTree: r.worktree, indexTree: r.index, ref: r.ref, head: r.head };
  });
}

/** The bytes floorIO writes: every blob (one `cat-file --batch`) and the goal index, kept stat data and all. Off the clock. */
export async function prepareFloorIO(plans: readonly FloorRepoPlan[], parallelism: number): Promise<FloorIOInputs[]> {
  return mapLimit(plans, parallelism, async (p) => {
    const bytes = new Map<string, Buffer>();
    const ids = [...new Set(p.writes.map((w) => w.blob))];
    if (ids.length) {
      const out = (await gitRaw(p.root, ['cat-file', '--batch'], { input: ids.join('\n') + '\n' })).stdout;
      let pos = 0;
      for (const id of ids) {
        const nl = out.indexOf(0x0a, pos);
        const [got, type, size] = out.toString('utf8', pos, nl).split(' ');
        if (got !== id || type !== 'blob') throw new Error(`${p.root}: cat-file gave ${got} ${type} for ${id}`);
        bytes.set(id, out.subarray(nl + 1, nl + 1 + Number(size)));
        pos = nl + 1 + Number(size) + 1;
      }
    }
    // the index ours installs: the goal's entries, with the stat data of those that do not change
    const gitDir = path.join(p.root, '.git');
    const scratch = path.join(gitDir, 'floor-io.index');
    fs.copyFileSync(path.join(gitDir, 'index'), scratch);
    await gitRaw(p.root, ['read-tree', '--reset', p.indexTree], { env: { GIT_INDEX_FILE: scratch } });
    const index = fs.readFileSync(scratch);
    fs.rmSync(scratch);
    return { bytes, index };
  });
}

/** The journal both floors keep, as ours does: a synced `begin`, then one line per repo, group-committed (store/appendLog.ts). */
async function openFloorJournal(file: string): Promise<AppendLog<Record<string, unknown>>> {
  const journal = await AppendLog.open<Record<string, unknown>>(file);
  await journal.append({ t: 'begin', at: new Date().toISOString() });
  return journal;
}

/** Removes `rel` (gone already is fine) and then each folder above it that it left empty, as ours does. */
async function removeFile(root: string, rel: string): Promise<void> {
  await fs.promises.rm(path.join(root, rel), { force: true });
  for (let d = path.posix.dirname(rel); d !== '.'; d = path.posix.dirname(d)) {
    try {
      fs.rmdirSync(path.join(root, d));
    } catch {
      return; // not empty, or gone
    }
  }
}

/** The branch's ref file, written as git writes it (a lock file renamed over it); HEAD already names the branch in the bench. */
async function writeRef(root: string, ref: string | null, head: string): Promise<void> {
  const gitDir = path.join(root, '.git');
  if (!ref) {
    fs.writeFileSync(path.join(gitDir, 'HEAD.lock'), `${head}\n`);
    await fs.promises.rename(path.join(gitDir, 'HEAD.lock'), path.join(gitDir, 'HEAD'));
    return;
  }
  if (fs.readFileSync(path.join(gitDir, 'HEAD'), 'utf8') !== `ref: ${ref}\n`) {
    fs.writeFileSync(path.join(gitDir, 'HEAD.lock'), `ref: ${ref}\n`);
    await fs.promises.rename(path.join(gitDir, 'HEAD.lock'), path.join(gitDir, 'HEAD'));
  }
  const file = path.join(gitDir, ...ref.split('/'));
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(`${file}.lock`, `${head}\n`);
  await fs.promises.rename(`${file}.lock`, file);
}

/** One git process per repo (see the top of this file); `journalFile` is a journal of the floor's own. */
export async function floorProcs(plans: readonly FloorRepoPlan[], parallelism: number, journalFile: string): Promise<void> {
  const journal = await openFloorJournal(journalFile);
  // as ours (tx/transaction.ts commit): each repo's line is not awaited before the next repo starts, all are before the end
  const logged: Promise<void>[] = [];
  try {
    await mapLimit(plans, parallelism, async (p) => {
      const gitDir = path.join(p.root, '.git');
      const current = readIndexFile(path.join(gitDir, 'index'))!;
      // the worktree: a throwaway copy of the index taken to the goal's worktree tree, files and all
      const scratch = path.join(gitDir, 'floor-procs.index');
      fs.copyFileSync(path.join(gitDir, 'index'), scratch);
      await gitRaw(p.root, ['read-tree', '--reset', '-u', p.worktreeTree], { env: { GIT_INDEX_FILE: scratch } });
      fs.rmSync(scratch);
      // what the index never tracked is removed here; what it tracked, read-tree removed
      await Promise.all(p.deletes.map((rel) => removeFile(p.root, rel)));
      // the index: the goal's entries read from loose trees and written here, as ours writes it
      const next = path.join(gitDir, 'floor-procs.next');
      const parsed = parseIndex(current.bytes);
      const goal = parsed && looseTreeEntries(path.join(gitDir, 'objects'), p.indexTree);
      const entries = goal && resetIndexEntries(parsed, current.mtimeNs, goal);
      if (entries) writeIndex(next, entries);
      else {
        // packed trees or an index of another version: git's one-tree reset, a second process (as ours does)
        fs.writeFileSync(next, current.bytes);
        await gitRaw(p.root, ['read-tree', '--reset', p.indexTree], { env: { GIT_INDEX_FILE: next } });
      }
      await fs.promises.rename(next, path.join(gitDir, 'index'));
      await writeRef(p.root, p.ref, p.head);
      logged.push(journal.append({ t: 'committed', repo: p.root }));
    });
    await Promise.all(logged);
  } finally {
    await journal.close();
  }
}

/** No git: the prepared bytes put in place (see the top of this file). */
export async function floorIO(plans: readonly FloorRepoPlan[], inputs: readonly FloorIOInputs[], parallelism: number, journalFile: string): Promise<void> {
  const journal = await openFloorJournal(journalFile);
  // as ours (tx/transaction.ts commit): each repo's line is not awaited before the next repo starts, all are before the end
  const logged: Promise<void>[] = [];
  try {
    await mapLimit(plans, parallelism, async (p, i) => {
      const { bytes, index } = inputs[i];
      // a repo's files at once, as ours renames them (tx/worktreeOps.ts), deletions first
      await Promise.all(p.deletes.map((rel) => removeFile(p.root, rel)));
      for (const w of p.writes) fs.mkdirSync(path.dirname(path.join(p.root, w.path)), { recursive: true });
      await Promise.all(
        p.writes.map(async (w) => {
          const abs = path.join(p.root, w.path);
          const data = bytes.get(w.blob)!;
          if (w.mode === '120000' || w.oldMode === '120000') await fs.promises.rm(abs, { force: true });
          if (w.mode === '120000') return fs.promises.symlink(data.toString(), abs);
          await fs.promises.writeFile(abs, data);
          if (w.mode !== w.oldMode && (w.mode === '100755' || w.oldMode === '100755')) await fs.promises.chmod(abs, w.mode === '100755' ? 0o755 : 0o644);
        }),
      );
      const gitDir = path.join(p.root, '.git');
      fs.writeFileSync(path.join(gitDir, 'index.lock'), index);
      await fs.promises.rename(path.join(gitDir, 'index.lock'), path.join(gitDir, 'index'));
      await writeRef(p.root, p.ref, p.head);
      logged.push(journal.append({ t: 'committed', repo: p.root }));
    });
    await Promise.all(logged);
  } finally {
    await journal.close();
  }
}
