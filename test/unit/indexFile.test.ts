import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { execFileSync } from 'child_process';
import { parseIndex, readIndexFile, resetIndexEntries, writeIndex, writeIndexTree } from '../../server/src/engine/git/indexFile';
import { indexTreeEntries, looseTreeEntries } from '../../server/src/engine/git/trees';
import { RepoKit, TestRepo, gitEnv, seedEveryKind } from '../helpers/repoKit';

/**
 * Trees built in Node from the index must be exactly the trees `git write-tree` makes, in every
 * index shape git writes; the shapes we do not read must say so (undefined) rather than guess.
 */
describe('index file (trees without write-tree)', () => {
  const kit = RepoKit.forSuite();

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

    // trees are built on git's byte order (a folder's entries found by halving): an index out of it goes to git
    const file = path.join(kit.tempDir(), 'index');
    const id = 'e69de29bb2d1d6434b8b29ae1d5ba5b3d2f61a4c';
    writeIndex(file, [
      { path: 'a.txt', mode: '100644', id },
      { path: 'b.txt', mode: '100644', id },
    ]);
    const bytes = fs.readFileSync(file);
    assert.ok(parseIndex(bytes));
    const [first, second] = [bytes.subarray(12, 84), bytes.subarray(84, 156)].map((b) => Buffer.from(b));
    second.copy(bytes, 12);
    first.copy(bytes, 84);
    assert.strictEqual(parseIndex(bytes), undefined);
  });
});

describe('next index without read-tree', () => {
  const kit = RepoKit.forSuite();

  it('equals git read-tree --reset: same entries, and the same files look changed to git', () => {
    const r = seedEveryKind(kit.repo(kit.tempDir()));
    r.git('add', '-A');
    r.git('commit', '-q', '-m', 'all');
    const goal = r.git('rev-parse', 'HEAD^{tree}');
    // the worktree moves away from the goal: edits, a new file, a deletion, a mode change
    r.write('a.txt', 'changed\n').write('fresh.txt', 'new\n').remove('notes.txt');
    fs.chmodSync(r.file('run.sh'), 0o644);
    r.git('add', '-A');
    const indexFile = r.file('.git/index');
    const base = readIndexFile(indexFile)!;
    const ours = resetIndexEntries(parseIndex(base.bytes)!, base.mtimeNs, looseTreeEntries(path.join(r.dir, '.git', 'objects'), goal)!)!;
    const oursFile = r.file('.git/ours.index');
    writeIndex(oursFile, ours);
    const gitsFile = r.file('.git/gits.index');
    fs.copyFileSync(indexFile, gitsFile);
    fs.utimesSync(gitsFile, base.atime, base.mtime);
    const withIndex = (file: string, ...args: string[]) => git(r.dir, ...args, `GIT_INDEX_FILE=${file}`);
    withIndex(gitsFile, 'read-tree', '--reset', goal);
    assert.strictEqual(withIndex(oursFile, 'ls-files', '-s'), withIndex(gitsFile, 'ls-files', '-s'));
    assert.strictEqual(withIndex(oursFile, 'diff-files', '--name-only'), withIndex(gitsFile, 'diff-files', '--name-only'));
    assert.ok(withIndex(oursFile, 'diff-files', '--name-only').includes('a.txt'));
    assert.strictEqual(withIndex(oursFile, 'write-tree'), goal);
  });

  it('leaves packed trees and flagged entries to git', () => {
    const r = seedEveryKind(kit.repo(kit.tempDir()));
    r.git('add', '-A');
    r.git('commit', '-q', '-m', 'all');
    const tree = r.git('rev-parse', 'HEAD^{tree}');
    const objects = path.join(r.dir, '.git', 'objects');
    assert.ok(looseTreeEntries(objects, tree));
    r.git('update-index', '--assume-unchanged', 'a.txt');
    assert.strictEqual(parseIndex(fs.readFileSync(r.file('.git/index')))!.flagged, true);
    r.git('gc', '-q', '--prune=now');
    assert.strictEqual(looseTreeEntries(objects, tree), undefined);
  });

  it('a packed goal lists the same entries through ls-tree as loose objects give, odd names and order included', async () => {
    const r = seedEveryKind(kit.repo(kit.tempDir()))
      .write('a.b', '1\n')
      .write('a/b', '2\n')
      .write('a0', '3\n')
      .write('a/c/d/e.txt', '4\n')
      .write('spaced name/ü ñ.txt', '6\n')
      .write(Buffer.from([0x6e, 0xe9, 0x2e, 0x74]).toString('latin1'), '7\n');
    r.git('add', '-A');
    r.git('commit', '-q', '-m', 'all');
    const tree = r.git('rev-parse', 'HEAD^{tree}');
    const objects = path.join(r.dir, '.git', 'objects');
    const loose = looseTreeEntries(objects, tree)!;
    assert.deepStrictEqual(await indexTreeEntries(r.dir, objects, tree), loose);
    r.git('gc', '-q', '--prune=now');
    assert.strictEqual(looseTreeEntries(objects, tree), undefined, 'packed now');
    const listed = await indexTreeEntries(r.dir, objects, tree);
    assert.deepStrictEqual(listed, loose);
    // and the index made from it is the one git's read-tree --reset makes
    const indexFile = r.file('.git/index');
    const base = readIndexFile(indexFile)!;
    const oursFile = r.file('.git/ours.index');
    writeIndex(oursFile, resetIndexEntries(parseIndex(base.bytes)!, base.mtimeNs, listed)!);
    assert.strictEqual(git(r.dir, 'write-tree', `GIT_INDEX_FILE=${oursFile}`), tree);
    assert.strictEqual(git(r.dir, 'ls-files', '-s', `GIT_INDEX_FILE=${oursFile}`), git(r.dir, 'ls-files', '-s'));
  });
});

function git(cwd: string, ...argsAndEnv: string[]): string {
  const env = { ...gitEnv };
  const args = argsAndEnv.filter((a) => {
    const m = /^(GIT_INDEX_FILE)=(.*)$/.exec(a);
    if (m) env[m[1]] = m[2];
    return !m;
  });
  return execFileSync('git', args, { cwd, env, encoding: 'utf8' }).replace(/\n$/, '');
}
