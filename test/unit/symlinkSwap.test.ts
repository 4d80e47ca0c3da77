import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { captureRepoState } from '../../server/src/engine/repo/repoState';
import { FileOp } from '../../server/src/engine/rollback/plan/fileOps';
import { commitRestore, prepareRestore } from '../../server/src/engine/rollback/tx/restore';
import { RepoKit, TestRepo } from '../helpers/repoKit';
import { refused } from '../helpers/refused';

/**
 * Issue 21 item 5: a folder swapped for a symlink after prepare must never let the commit write,
 * rename, chmod or remove anything outside the repo. The swap is made from the commit's own hooks
 * (the guard just before an op, `onFile` just after one), the worst moment a racing process could
 * pick: the folder is moved outside whole (its files keep their inodes, so the file guards see
 * nothing) and a symlink to it put in its place.
 */
describe('commit: a folder swapped for a symlink mid-rollback', function () {
  const kit = RepoKit.forSuite();

  /** Every file and folder below `dir`, with mode and bytes: "byte for byte unchanged" made checkable. */
  function tree(dir: string): Record<string, string> {
    const out: Record<string, string> = {};
    const walk = (d: string) => {
      for (const name of fs.readdirSync(d).sort()) {
        const p = path.join(d, name);
        const st = fs.lstatSync(p);
        const rel = path.relative(dir, p);
        if (st.isSymbolicLink()) out[rel] = `link:${fs.readlinkSync(p)}`;
        else if (st.isDirectory()) {
          out[rel + '/'] = (st.mode & 0o777).toString(8);
          walk(p);
        } else out[rel] = `${(st.mode & 0o777).toString(8)}:${fs.readFileSync(p).toString('base64')}`;
      }
    };
    walk(dir);
    return out;
  }

  /** Moves `rel` out to a new folder and leaves a symlink to it in its place; returns that folder. */
  function swapOut(repo: TestRepo, rel: string): string {
    const outside = kit.tempDir('cc-outside-');
    const moved = path.join(outside, path.basename(rel));
    fs.renameSync(repo.file(rel), moved);
    fs.symlinkSync(moved, repo.file(rel));
    return outside;
  }

  /**
   * A repo in state `goal` (the files given), then changed by `change`; the commit back to `goal`
   * swaps `folder` out when the op on `when.path` is reached (`before` it, or `after` it). Asserts
   * the commit is refused with ConcurrentWrite naming the repo, and the outside folder is exactly as
   * the swap left it.
   */
  async function swapDuringCommit(
    files: Record<string, string>,
    change: (r: TestRepo) => void,
    folder: string,
    when: { path: string; moment: 'before' | 'after' },
    modes: Record<string, number> = {},
  ): Promise<{ repo: TestRepo; outside: string; message: string }> {
    const repo = kit.repo(kit.tempDir('cc-repo-'), files);
    for (const [rel, mode] of Object.entries(modes)) fs.chmodSync(repo.file(rel), mode);
    const goal = await captureRepoState(repo.dir);
    change(repo);
    const prepared = await prepareRestore(repo.dir, goal);
    let outside = '';
    let left: Record<string, string> = {};
    const swapAt = (op: FileOp) => {
      if (op.path !== when.path || outside) return;
      outside = swapOut(repo, folder);
      left = tree(outside);
    };
    try {
      const e = await refused(
        commitRestore(prepared, undefined, {
          guard: async (op) => (when.moment === 'before' ? swapAt(op) : undefined),
          onFile: (op) => (when.moment === 'after' ? swapAt(op) : undefined),
        }),
        'ConcurrentWrite',
      );
      assert.ok(outside, 'the swap happened');
      assert.strictEqual(e.repo, repo.dir);
      assert.match(e.message, /is a symlink since the rollback checked it/);
      assert.deepStrictEqual(tree(outside), left, 'nothing outside the repo changed');
      return { repo, outside, message: e.message };
    } finally {
      await prepared.capture.release();
    }
  }

  it('a new file at depth 1 (the instance): not written into the folder the link points to', async function () {
    await swapDuringCommit({ 'sub/keep.txt': 'keep\n', 'sub/x.txt': 'x\n' }, (r) => r.remove('sub/x.txt'), 'sub', { path: 'sub/x.txt', moment: 'before' });
  });

  it('a new file at depth 3, the folder at depth 3 swapped; and the folder at depth 1 swapped', async function () {
    const files = { 'd1/d2/d3/keep.txt': 'keep\n', 'd1/d2/d3/x.txt': 'x\n' };
    await swapDuringCommit(files, (r) => r.remove('d1/d2/d3/x.txt'), 'd1/d2/d3', { path: 'd1/d2/d3/x.txt', moment: 'before' });
    await swapDuringCommit(files, (r) => r.remove('d1/d2/d3/x.txt'), 'd1', { path: 'd1/d2/d3/x.txt', moment: 'before' });
  });

  it('folders to make (mkdir -p): none is made through a link that appeared before them', async function () {
    // the delete of other.txt comes first; right after it `top` becomes a link, then top/n1/n2 is due
    await swapDuringCommit(
      { 'top/keep.txt': 'keep\n', 'top/n1/n2/x.txt': 'x\n' },
      (r) => r.remove('top/n1').write('other.txt', 'made by the campaign\n'),
      'top',
      { path: 'other.txt', moment: 'after' },
    );
  });

  it('a file to delete, at depth 1 and depth 3: not removed through the link', async function () {
    await swapDuringCommit({ 'sub/keep.txt': 'keep\n' }, (r) => r.write('sub/new.txt', 'campaign\n'), 'sub', { path: 'sub/new.txt', moment: 'before' });
    await swapDuringCommit({ 'a/b/c/keep.txt': 'keep\n' }, (r) => r.write('a/b/c/new.txt', 'campaign\n'), 'a/b', {
      path: 'a/b/c/new.txt',
      moment: 'before',
    });
  });

  it('an emptied folder to prune: not removed through a link that appeared after its last file went', async function () {
    const { outside } = await swapDuringCommit({ 'sub/keep.txt': 'keep\n' }, (r) => r.write('sub/deep/new.txt', 'campaign\n'), 'sub', {
      path: 'sub/deep/new.txt',
      moment: 'after',
    });
    assert.ok(fs.statSync(path.join(outside, 'sub', 'deep')).isDirectory(), 'the empty folder outside is still there');
  });

  it('a mode to change: not chmodded through a folder link, nor through a file swapped for a link', async function () {
    const files = { 'sub/run.sh': '#!/bin/sh\n', 'sub/keep.txt': 'keep\n' };
    const { outside } = await swapDuringCommit(
      files,
      (r) => fs.chmodSync(r.file('sub/run.sh'), 0o755),
      'sub',
      { path: 'sub/run.sh', moment: 'before' },
      {
        'sub/run.sh': 0o644,
      },
    );
    assert.strictEqual(fs.statSync(path.join(outside, 'sub', 'run.sh')).mode & 0o777, 0o755);
    // the file itself a link to a file outside: chmod would follow it
    const { message } = await swapDuringCommit(
      files,
      (r) => fs.chmodSync(r.file('sub/run.sh'), 0o755),
      'sub/run.sh',
      { path: 'sub/run.sh', moment: 'before' },
      {
        'sub/run.sh': 0o644,
      },
    );
    assert.match(message, /the file sub\/run\.sh/);
  });
});
