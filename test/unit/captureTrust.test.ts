import * as assert from 'assert';
import * as path from 'path';
import { captureRepoState } from '../../server/src/engine/repo/repoState';
import { RepoKit } from '../helpers/repoKit';

/**
 * An incremental capture reuses the index's stat data, but takes nothing on trust (issue 23,
 * item 2): an assume-unchanged or skip-worktree file that was edited is captured as it is on disk,
 * and a sparse checkout's absent skip-worktree file stays as the index has it, not deleted.
 */
describe('capture: index flags are not taken on trust', function () {
  const kit = RepoKit.forSuite();

  it('assume-unchanged and skip-worktree files edited on disk are captured with their new bytes; the real index is left alone', async function () {
    const repo = kit.repo(path.join(kit.tempDir(), 'r'), { 'a.txt': 'a\n', 'b.txt': 'b\n', 'c.txt': 'c\n', 'd.txt': 'd\n' });
    repo.git('update-index', '--assume-unchanged', 'a.txt');
    repo.git('update-index', '--skip-worktree', 'b.txt', 'd.txt');
    repo.write('a.txt', 'a edited\n').write('b.txt', 'b edited\n').remove('d.txt');
    const index = repo.indexBytes();
    const state = await captureRepoState(repo.dir);
    const files = repo.filesOf(state.worktree);
    assert.strictEqual(Buffer.from(files['a.txt'].slice(2), 'base64').toString(), 'a edited\n');
    assert.strictEqual(Buffer.from(files['b.txt'].slice(2), 'base64').toString(), 'b edited\n');
    assert.strictEqual(Buffer.from(files['c.txt'].slice(2), 'base64').toString(), 'c\n');
    // not on disk under a skip-worktree bit: a sparse checkout's file, still the index's
    assert.strictEqual(Buffer.from(files['d.txt'].slice(2), 'base64').toString(), 'd\n');
    assert.deepStrictEqual(repo.indexBytes(), index);
    assert.match(repo.git('ls-files', '-v', 'a.txt', 'b.txt'), /^h a\.txt\nS b\.txt$/);
  });
});
