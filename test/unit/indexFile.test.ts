import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { parseIndex, writeIndexTree } from '../../server/src/engine/indexFile';
import { RepoKit, TestRepo, seedEveryKind } from '../helpers/repoKit';

/**
 * Trees built in Node from the index must be exactly the trees `git write-tree` makes, in every
 * index shape git writes; the shapes we do not read must say so (undefined) rather than guess.
 */
describe('index file (trees without write-tree)', () => {
  const kit = new RepoKit();
  afterEach(() => kit.cleanup());

  const objects = (r: TestRepo) => path.join(r.dir, '.git', 'objects');
  const nodeTree = (r: TestRepo): string | undefined => {
    const parsed = parseIndex(fs.readFileSync(r.file('.git/index')));
    return parsed && writeIndexTree(objects(r), parsed);
  };

  /** Files that stress tree order and names: a.b vs a/b vs a0, nested folders, odd bytes. */
  const awkward = (r: TestRepo): TestRepo =>
    seedEveryKind(r)
      .write('a.b', '1\n')
      .write('a/b', '2\n')
      .write('a0', '3\n')
      .write('a/c/d/e.txt', '4\n')
      .write('a-b/x', '5\n')
      .write('spaced name/ü ñ.txt', '6\n')
      .write(Buffer.from([0x6e, 0xe9, 0x2e, 0x74]).toString('latin1'), '7\n');

  for (const version of [2, 3, 4]) {
    it(`index version ${version}: the same tree as git write-tree, before and after the cache-tree is valid`, () => {
      const r = awkward(kit.repo(kit.tempDir()));
      r.git('add', '-A');
      r.git('update-index', '--index-version', String(version));
      // no valid cache-tree after add: every tree is built here
      const built = nodeTree(r);
      const expected = r.git('write-tree');
      assert.strictEqual(built, expected);
      // write-tree filled the cache-tree; reading it must give the same answer
      assert.strictEqual(nodeTree(r), expected);
      // one changed file invalidates only its folders
      r.write('a/c/d/e.txt', 'changed\n').git('add', 'a/c/d/e.txt');
      const rebuilt = nodeTree(r);
      assert.strictEqual(rebuilt, r.git('write-tree'));
      // the new trees were written: git can read them back
      assert.ok(r.git('ls-tree', '-r', rebuilt!).includes('a/c/d/e.txt'));
    });
  }

  it('an empty index is the empty tree, stored', () => {
    const r = kit.repo(kit.tempDir(), { 'x.txt': 'x\n' });
    r.git('rm', '-q', '--cached', 'x.txt');
    const built = nodeTree(r);
    assert.strictEqual(built, r.git('write-tree'));
    assert.strictEqual(r.git('cat-file', '-t', built!), 'tree');
  });

  it('gitlinks (a submodule) and skip-worktree entries are kept as git keeps them', () => {
    const child = kit.repo(kit.tempDir(), { 'c.txt': 'child\n' });
    const r = kit.repo(kit.tempDir(), { 'p.txt': 'parent\n', 'q/r.txt': 'r\n' });
    kit.submodule(r, child, 'sub');
    r.git('update-index', '--skip-worktree', 'q/r.txt');
    assert.strictEqual(nodeTree(r), r.git('write-tree'));
  });

  it('shapes it does not read are refused, not guessed: intent-to-add, unmerged, split index', () => {
    const ita = kit.repo(kit.tempDir());
    ita.write('later.txt', 'x\n').git('add', '-N', 'later.txt');
    assert.strictEqual(parseIndex(fs.readFileSync(ita.file('.git/index'))), undefined);

    const merge = kit.repo(kit.tempDir()).conflictedMerge();
    assert.strictEqual(parseIndex(fs.readFileSync(merge.file('.git/index'))), undefined);

    const split = kit.repo(kit.tempDir(), { 'a.txt': 'a\n', 'b.txt': 'b\n' });
    split.git('update-index', '--split-index');
    split.write('a.txt', 'changed\n').git('add', 'a.txt');
    assert.strictEqual(parseIndex(fs.readFileSync(split.file('.git/index'))), undefined);

    assert.strictEqual(parseIndex(Buffer.from('not an index at all, but long enough')), undefined);
  });
});
