import * as assert from 'assert';
import * as path from 'path';
import { RepoWatcher } from '../../server/src/lsp/repoWatcher';
import { RepoKit } from '../helpers/repoKit';
import { collectBatches } from '../helpers/batches';

/**
 * The preview's repo watcher on real repos and the real file system: folder by folder, leaving
 * out what no plan is about (ignored folders, node_modules, nested repos), within a budget of
 * inotify watches that VS Code's own watcher shares.
 */
describe('the repo watcher (lsp/repoWatcher.ts)', () => {
  const kit = RepoKit.forSuite();
  let watcher: RepoWatcher | undefined;
  afterEach(() => watcher?.dispose());

  /** A watcher whose changes are collected; `next(ms)` resolves with the next batch, or [] if none came. */
  function watching(maxFolders?: number) {
    const errors: string[] = [];
    const { onChange, next } = collectBatches<string>();
    watcher = new RepoWatcher(onChange, (m) => errors.push(m), maxFolders);
    return { watcher, errors, next };
  }

  function repoWithClutter() {
    const r = kit.repo(kit.tempDir(), { '.gitignore': 'build/\nnode_modules/\n', 'src/a/one.ts': '1\n', 'src/b/two.ts': '2\n' });
    for (let i = 0; i < 30; i++) r.write(`node_modules/pkg${i}/lib/index.js`, 'x\n');
    r.write('build/out/bundle.js', 'built\n');
    kit.repo(path.join(r.dir, 'vendor', 'inner'), { 'inner.txt': 'its own repo\n' });
    return r;
  }

  it('hears tracked folders, new folders and branches; not ignored folders, node_modules or a nested repo', async () => {
    const r = repoWithClutter();
    const w = watching();
    const state = await w.watcher.watch([r.dir]);
    assert.deepStrictEqual([state.watching, state.limited], [1, []]);
    // the git dir, refs/heads, the root, src, src/a, src/b, vendor: none of the 60-odd ignored or nested folders
    assert.strictEqual(state.folders, 7);

    r.write('node_modules/pkg3/lib/index.js', 'changed\n').write('build/out/bundle.js', 'rebuilt\n').write('vendor/inner/inner.txt', 'changed\n');
    assert.deepStrictEqual(await w.next(1000), [], 'what no plan is about is not heard');

    r.write('src/a/one.ts', 'edited\n');
    assert.deepStrictEqual(await w.next(3000), [r.dir]);
    r.write('pkg/new/file.ts', 'a new folder\n');
    assert.deepStrictEqual(await w.next(3000), [r.dir]);
    r.write('pkg/new/second.ts', 'in the new folder, after it was made\n');
    assert.deepStrictEqual(await w.next(3000), [r.dir], 'a folder made after the watch began is watched');
    r.git('branch', 'feature/x');
    assert.deepStrictEqual(await w.next(3000), [r.dir], 'a branch under a new refs folder');
    assert.deepStrictEqual(w.errors, []);
  });

  it('stays within its folder budget, the git dir first, and says which repo is only partly watched', async () => {
    const r = repoWithClutter();
    const w = watching(3);
    const state = await w.watcher.watch([r.dir]);
    assert.deepStrictEqual([state.folders, state.limited], [3, [r.dir]]);
    assert.match(w.errors.join('\n'), /watching only some folders of .*, the most allowed \(3 in all\): edits in the others are seen on Refresh/);
    r.git('add', 'src/a/one.ts');
    r.write('src/a/one.ts', 'staged then edited\n').git('add', 'src/a/one.ts');
    assert.deepStrictEqual(await w.next(3000), [r.dir], 'the index is always watched');
    assert.deepStrictEqual((await w.watcher.watch([])).folders, 0, 'stopping gives the budget back');
  });

  it('says in one line which repos the budget cut, however many', async () => {
    const repos = [repoWithClutter(), repoWithClutter(), repoWithClutter(), repoWithClutter()];
    const w = watching(6);
    const state = await w.watcher.watch(repos.map((r) => r.dir));
    assert.ok(state.limited.length >= 2, `cut: ${state.limited.length}`);
    assert.strictEqual(w.errors.length, 1, w.errors.join('\n'));
    assert.match(w.errors[0], new RegExp(`^watching only some folders of ${state.limited.length} repos \\(.*\\), the most allowed \\(6 in all\\)`));
  });

  // hearsAll vouches that no tracked file of the repo can change unheard (the auto-checkpoint then skips its capture)
  it('hears all of a repo, but not with a nested repo, an unignored node_modules, a cut budget or an edited .gitignore', async () => {
    const plain = kit.repo(kit.tempDir(), { '.gitignore': 'node_modules/\n', 'src/a.ts': 'a\n' });
    plain.write('node_modules/pkg/index.js', 'ignored\n');
    const nested = kit.repo(kit.tempDir(), { 'src/a.ts': 'a\n' });
    kit.repo(path.join(nested.dir, 'vendor', 'inner'), { 'inner.txt': 'its own repo\n' });
    const modules = kit.repo(kit.tempDir(), { 'src/a.ts': 'a\n' });
    modules.write('node_modules/pkg/index.js', 'not ignored: git may track it\n');
    const w = watching();
    await w.watcher.watch([plain.dir, nested.dir, modules.dir]);
    const now = performance.now();
    assert.deepStrictEqual(
      [plain, nested, modules].map((r) => w.watcher.hearsAll(r.dir, now)),
      [true, false, false],
    );
    // a capture that began before the last walk ended is not vouched for: a folder it walked may have missed a write
    assert.strictEqual(w.watcher.hearsAll(plain.dir, 0), false);
    assert.deepStrictEqual([...w.watcher.takeTouched()], []);
    plain.write('src/b.ts', 'b\n');
    assert.deepStrictEqual(await w.next(3000), [plain.dir]);
    assert.deepStrictEqual([...w.watcher.takeTouched()], [plain.dir]);
    assert.deepStrictEqual([...w.watcher.takeTouched()], [], 'taken once');
    // new ignore rules may un-ignore a folder the walk left out
    plain.write('.gitignore', '\n');
    await w.next(3000);
    assert.strictEqual(w.watcher.hearsAll(plain.dir, performance.now()), false);

    w.watcher.dispose(); // the next watching() takes the place afterEach disposes
    const cut = kit.repo(kit.tempDir(), { 'src/a/one.ts': '1\n', 'src/b/two.ts': '2\n' });
    const small = watching(3);
    await small.watcher.watch([cut.dir]);
    assert.strictEqual(small.watcher.hearsAll(cut.dir, performance.now()), false, 'cut by the folder budget');
  });

  it('spends the budget on every repo’s git dir before any worktree folder', async () => {
    const [a, b] = [repoWithClutter(), repoWithClutter()];
    const w = watching(4);
    const state = await w.watcher.watch([a.dir, b.dir]);
    assert.deepStrictEqual([state.watching, state.folders, state.limited], [2, 4, [a.dir, b.dir].sort()]);
    b.write('src/a/one.ts', 'staged\n').git('add', 'src/a/one.ts');
    assert.deepStrictEqual(await w.next(3000), [b.dir], 'the second repo’s index is watched too');
  });
});
