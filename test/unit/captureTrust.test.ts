import * as assert from 'assert';
import * as path from 'path';
import { captureRepoState, captureWithIndex } from '../../server/src/engine/repo/repoState';
import { RepoKit } from '../helpers/repoKit';

/**
 * An incremental capture reuses the index's stat data, but takes nothing on trust (issue 23,
 * item 2): an assume-unchanged or skip-worktree file that was edited is captured as it is on disk,
 * and a sparse checkout's absent skip-worktree file stays as the index has it, not deleted.
 */
describe('capture: index flags are not taken on trust', function () {
  const kit = RepoKit.forSuite();

  // A run's prepare and verify know the files over the cap, list nothing, and start their `add -A`
  // before Node reads the real index (issue 24, item 4): an index that add must not take as it is
  // (flags to clear, or one only git can read) is copied afresh and added again after.
  const capturers: [string, (dir: string) => Promise<{ index: string; worktree: string }>][] = [
    ['listing first', (dir) => captureRepoState(dir)],
    [
      'add at once',
      async (dir) => {
        const c = await captureWithIndex(dir, { leftOut: [] });
        await c.release();
        return c.state;
      },
    ],
  ];
  for (const [how, capture] of capturers) {
    it(`${how}: assume-unchanged and skip-worktree files edited on disk are captured with their new bytes; the real index is left alone`, async function () {
      const repo = kit.repo(path.join(kit.tempDir(), 'r'), { 'a.txt': 'a\n', 'b.txt': 'b\n', 'c.txt': 'c\n', 'd.txt': 'd\n' });
      repo.write('c.txt', 'c staged\n').git('add', 'c.txt');
      repo.git('update-index', '--assume-unchanged', 'a.txt');
      repo.git('update-index', '--skip-worktree', 'b.txt', 'd.txt');
      repo.write('a.txt', 'a edited\n').write('b.txt', 'b edited\n').write('c.txt', 'c on disk\n').remove('d.txt');
      const index = repo.indexBytes();
      const state = await capture(repo.dir);
      const files = repo.filesOf(state.worktree);
      for (const [f, bytes] of [
        ['a.txt', 'a edited\n'],
        ['b.txt', 'b edited\n'],
        ['c.txt', 'c on disk\n'],
        // not on disk under a skip-worktree bit: a sparse checkout's file, still the index's
        ['d.txt', 'd\n'],
      ])
        assert.strictEqual(Buffer.from(files[f].slice(2), 'base64').toString(), bytes, f);
      assert.strictEqual(state.index, repo.indexTree());
      assert.deepStrictEqual(repo.indexBytes(), index);
      assert.match(repo.git('ls-files', '-v', 'a.txt', 'b.txt'), /^h a\.txt\nS b\.txt$/);
    });

    it(`${how}: a split index (git reads it, not Node): the index tree is the real index's, the worktree's has every change`, async function () {
      const repo = kit.repo(path.join(kit.tempDir(), 'r'), { 'a.txt': 'a\n', 'b.txt': 'b\n' });
      repo.git('update-index', '--split-index');
      repo.write('a.txt', 'a staged\n').git('add', 'a.txt');
      repo.write('a.txt', 'a on disk\n').write('new.txt', 'new\n');
      const index = repo.indexBytes();
      const state = await capture(repo.dir);
      const files = repo.filesOf(state.worktree);
      assert.strictEqual(Buffer.from(files['a.txt'].slice(2), 'base64').toString(), 'a on disk\n');
      assert.strictEqual(Buffer.from(files['new.txt'].slice(2), 'base64').toString(), 'new\n');
      assert.strictEqual(state.index, repo.indexTree());
      assert.notStrictEqual(state.index, state.worktree);
      assert.deepStrictEqual(repo.indexBytes(), index);
    });
  }
});
