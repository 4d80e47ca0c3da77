import * as assert from 'assert';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { emptyTree } from '../../server/src/engine/git/gitRunner';
import { RepoState, captureRepoState } from '../../server/src/engine/repo/repoState';
import { createSnapshot, listSnapshots, loadSnapshot, snapshotRef, verifySnapshot } from '../../server/src/engine/snapshot/snapshot';
import { Store } from '../../server/src/engine/store/store';
import { RepoFingerprint, RepoKit, TestRepo } from '../helpers/repoKit';
import { refused } from '../helpers/refused';

describe('snapshot (engine)', function () {
  const kit = RepoKit.forSuite();
  let store: Store;
  beforeEach(() => (store = new Store(kit.tempDir('cc-store-'))));

  /** The recorded state, made real by git, is exactly what the fingerprint saw. */
  function assertReproduces(repo: TestRepo, state: RepoState, expected: RepoFingerprint, label = ''): void {
    assert.strictEqual(state.head, expected.head, `${label} head`);
    assert.strictEqual(state.ref, expected.branch, `${label} branch`);
    assert.strictEqual(repo.stagedOf(state.index), expected.staged, `${label} index (ls-files -s)`);
    assert.deepStrictEqual(repo.filesOf(state.worktree), expected.files, `${label} worktree files`);
  }

  async function snapshotOne(repo: TestRepo): Promise<RepoState> {
    const snap = await createSnapshot(store, [repo.dir]);
    assert.strictEqual(snap.repos.length, 1);
    const { path: recorded, ...state } = snap.repos[0];
    assert.strictEqual(recorded, repo.dir);
    return state;
  }

  it('records every kind of change, and each stored state reproduces its original exactly', async function () {
    const repo = kit.repo(path.join(kit.tempDir(), 'app'), {
      'a.txt': 'alpha\nbeta\n',
      'b.txt': 'to be deleted\n',
      'old-name.txt': 'a file that will move\n'.repeat(5),
      'tool.sh': '#!/bin/sh\necho hi\n',
      'img.bin': '\0\x01\x02PNG\0',
      'staged.txt': 'v1\n',
    });
    repo.symlink('link', 'a.txt').commitAll('with link');
    repo.write('untracked-edit.txt', 'untracked v1\n');

    const changes: [string, () => void][] = [
      ['nothing yet', () => undefined],
      ['modify', () => repo.write('a.txt', 'alpha\nBETA\n')],
      ['add (staged new file)', () => repo.write('src/new.ts', 'export const x = 1;\n').git('add', 'src/new.ts')],
      ['delete', () => repo.remove('b.txt')],
      ['rename', () => repo.git('mv', 'old-name.txt', 'new-name.txt')],
      ['chmod +x', () => fs.chmodSync(repo.file('tool.sh'), 0o755)],
      ['symlink retargeted', () => repo.symlink('link', 'new-name.txt')],
      ['binary changed', () => repo.write('img.bin', '\0\x01\x03PNG\0')],
      ['staged-only change', () => repo.write('staged.txt', 'v2\n').git('add', 'staged.txt')],
      ['worktree back, index keeps v2', () => repo.write('staged.txt', 'v1\n')],
      ['untracked file added', () => repo.write('notes/todo.md', '- [ ] ship\n')],
      ['untracked file edited', () => repo.write('untracked-edit.txt', 'untracked v2\n')],
      ['commit on the branch', () => repo.git('commit', '-q', '-m', 'staged work')],
      ['branch switch', () => repo.git('checkout', '-q', '-b', 'feature')],
    ];
    const taken: { label: string; fingerprint: RepoFingerprint; indexTree: string; id: string }[] = [];
    for (const [label, change] of changes) {
      change();
      const fingerprint = repo.fingerprint();
      const indexTree = repo.indexTree();
      const snap = await createSnapshot(store, [repo.dir], { message: label });
      assert.ok(!taken.some((t) => t.id === snap.id), `"${label}" was not seen: same snapshot id as before`);
      taken.push({ label, fingerprint, indexTree, id: snap.id });
    }
    // Every snapshot, loaded back from the store, gives back its moment exactly, long after it.
    for (const t of taken) {
      const loaded = await loadSnapshot(store, t.id);
      assert.strictEqual(loaded.repos[0].path, repo.dir);
      assertReproduces(repo, loaded.repos[0], t.fingerprint, t.label);
      assert.strictEqual(loaded.repos[0].index, t.indexTree, `${t.label}: index tree is not git write-tree of the index`);
    }
    const last = taken[taken.length - 1].fingerprint;
    assert.strictEqual(last.branch, 'refs/heads/feature');
    assert.match(last.files['tool.sh'], /^x:/);
    assert.strictEqual(last.files['link'], 'link:new-name.txt');
    assert.strictEqual(taken[0].fingerprint.files['link'], 'link:a.txt');
  });

  it('never captures ignored files, and leaves refs, index, HEAD and worktree as they were', async function () {
    const repo = kit.repo(path.join(kit.tempDir(), 'svc'), { '.gitignore': '.env\nnode_modules/\nbuild/\n', 'index.js': 'module.exports = 1;\n' });
    repo.write('.env', 'SECRET=1\n').write('node_modules/dep/index.js', 'x\n').write('build/out.js', 'y\n');
    repo.write('index.js', 'module.exports = 2;\n').write('fresh.js', 'new\n');
    repo.git('tag', 'v1');
    const refsBefore = repo.userRefs();
    const indexBefore = repo.indexBytes();
    const before = repo.fingerprint();

    const snap = await createSnapshot(store, [repo.dir]);

    assert.deepStrictEqual(repo.userRefs(), refsBefore);
    assert.deepStrictEqual(repo.indexBytes(), indexBefore, '.git/index bytes changed');
    assert.deepStrictEqual(repo.fingerprint(), before);
    assert.deepStrictEqual(repo.codecontextRefs(), [snapshotRef(snap.id)]);
    assert.deepStrictEqual(
      fs.readdirSync(path.join(repo.dir, '.git')).filter((n) => n.startsWith('codecontext')),
      [],
      'temporary index left behind',
    );
    const captured = repo.git('ls-tree', '-r', '--name-only', snap.repos[0].worktree).split('\n');
    assert.deepStrictEqual(captured, ['.gitignore', 'fresh.js', 'index.js']);
  });

  it('captures an unborn HEAD (with and without staged files)', async function () {
    const empty = kit.repo(path.join(kit.tempDir(), 'empty'), null);
    const state = await snapshotOne(empty);
    assert.deepStrictEqual(state, { head: null, ref: 'refs/heads/main', index: emptyTree, worktree: emptyTree });

    const started = kit.repo(path.join(kit.tempDir(), 'started'), null);
    started.write('staged.txt', 'staged\n').git('add', 'staged.txt');
    started.write('loose.txt', 'not staged\n');
    const before = started.fingerprint();
    assertReproduces(started, await snapshotOne(started), before);
  });

  it('captures a detached HEAD', async function () {
    const repo = kit.repo(path.join(kit.tempDir(), 'det'));
    const first = repo.head();
    repo.write('README.md', '# two\n').commitAll('two');
    repo.git('checkout', '-q', '--detach', first);
    repo.write('wip.txt', 'wip\n');
    const before = repo.fingerprint();
    const state = await snapshotOne(repo);
    assert.strictEqual(state.ref, null);
    assert.strictEqual(state.head, first);
    assertReproduces(repo, state, before);
  });

  it('keeps odd names, CRLF bytes and a 5 MB file exactly', async function () {
    const repo = kit.repo(path.join(kit.tempDir(), 'odd'), { 'with space.txt': 'one\n', 'crlf.txt': 'a\r\nb\r\n' });
    repo.write('with space.txt', 'two\n');
    repo.write('ünïcødé 名前.txt', 'unicode\n');
    repo.write('new\nline.txt', 'newline in the name\n');
    repo.write('dir with space/ünï/crlf2.txt', 'x\r\ny\r\n\r\n');
    repo.write('crlf.txt', 'a\r\nb\r\nc\r\n');
    repo.write('big.bin', crypto.createHash('sha512').update('seed').digest().toString('hex').repeat(40960)); // 5 MB
    repo.git('add', 'new\nline.txt');
    const before = repo.fingerprint();
    assert.strictEqual(repo.read('big.bin').length, 5 * 1024 * 1024);
    assertReproduces(repo, await snapshotOne(repo), before);
  });

  it('captures a repo of 2,000 files', async function () {
    const files: Record<string, string> = {};
    for (let i = 0; i < 2000; i++) files[`pkg${i % 20}/file-${i}.txt`] = `content ${i}\n`;
    const repo = kit.repo(path.join(kit.tempDir(), 'big'), files);
    repo.write('pkg3/file-3.txt', 'changed\n').remove('pkg7/file-7.txt').write('pkg0/extra.txt', 'extra\n');
    const before = repo.fingerprint();
    const state = await snapshotOne(repo);
    assertReproduces(repo, state, before);
    assert.strictEqual(Object.keys(before.files).length, 2000);
  });

  it('refuses a repo mid-merge, naming it, and writes no ref or manifest in any repo', async function () {
    const { repos } = kit.workspace(3);
    repos[1].conflictedMerge();
    const e = await refused(
      createSnapshot(
        store,
        repos.map((r) => r.dir),
      ),
      'MergeInProgress',
    );
    assert.strictEqual(e.repo, repos[1].dir);
    assert.ok(e.oneLine().includes(repos[1].dir), e.oneLine());
    for (const r of repos) assert.deepStrictEqual(r.codecontextRefs(), [], `${r.dir} got a ref`);
    assert.deepStrictEqual(await listSnapshots(store), []);
    assert.deepStrictEqual(await store.list('snapshots', ''), []);
  });

  it('refuses a repo mid-rebase', async function () {
    const repo = kit.repo(path.join(kit.tempDir(), 'reb'));
    repo.git('checkout', '-q', '-b', 'topic');
    repo.write('README.md', 'topic\n').commitAll('topic');
    repo.git('checkout', '-q', 'main');
    repo.write('README.md', 'main\n').commitAll('main');
    repo.git('checkout', '-q', 'topic');
    try {
      repo.git('rebase', '-q', 'main');
    } catch {
      // the conflict is the point
    }
    const e = await refused(captureRepoState(repo.dir), 'RebaseInProgress');
    assert.strictEqual(e.repo, repo.dir);
  });

  it('refuses folders that are not repos, and repos that are gone', async function () {
    const plain = kit.tempDir();
    await refused(captureRepoState(plain), 'NotARepository');
    await refused(captureRepoState(path.join(plain, 'gone')), 'RepoMissing');
  });

  it('sees a same-size edit that the index stat cache cannot see (racily clean entry)', async function () {
    // The file is rewritten with the same size and mtime as the staged entry; only the index file's
    // own timestamp tells git to look at the content. A copy of the index must keep that timestamp.
    const repo = kit.repo(path.join(kit.tempDir(), 'racy'), null);
    repo.git('config', 'core.trustctime', 'false');
    const past = new Date('2020-01-01T00:00:00Z');
    repo.write('a.txt', 'one\n');
    fs.utimesSync(repo.file('a.txt'), past, past);
    repo.commitAll('one');
    repo.write('a.txt', 'two\n');
    fs.utimesSync(repo.file('a.txt'), past, past);
    fs.utimesSync(path.join(repo.dir, '.git', 'index'), past, past);
    assert.strictEqual(repo.fingerprint().status, ' M a.txt', 'git itself sees the edit');
    const state = await snapshotOne(repo);
    assert.strictEqual(repo.git('cat-file', 'blob', `${state.worktree}:a.txt`), 'two');
  });

  it('gives the same id to the same content, and a new one to any change', async function () {
    const { repos } = kit.workspace(2);
    const paths = repos.map((r) => r.dir);
    const a = await createSnapshot(store, paths, { message: 'first' });
    const b = await createSnapshot(store, [...paths].reverse(), { message: 'second' });
    assert.strictEqual(b.id, a.id);
    assert.match(a.id, /^snap_[0-9a-f]{16}$/);
    assert.strictEqual((await listSnapshots(store)).length, 1);
    repos[0].write('README.md', '# changed\n');
    const c = await createSnapshot(store, paths);
    assert.notStrictEqual(c.id, a.id);
    const list = await listSnapshots(store);
    assert.deepStrictEqual(list.map((s) => s.id).sort(), [a.id, c.id].sort());
    assert.ok(list.every((s) => s.valid && s.repoCount === 2));
  });

  it('finds a snapshot by unique prefix, and says which ids are unknown or ambiguous', async function () {
    const repo = kit.repo(path.join(kit.tempDir(), 'ids'));
    const ids: string[] = [];
    // Pigeonhole: 17 snapshots share a first hex digit somewhere.
    for (let i = 0; i < 17; i++) {
      repo.write('n.txt', `${i}\n`);
      ids.push((await createSnapshot(store, [repo.dir])).id);
    }
    const first = ids[0];
    assert.strictEqual((await loadSnapshot(store, first.slice(0, 12))).id, first);
    assert.strictEqual((await loadSnapshot(store, first.slice(5))).id, first, 'the prefix without snap_ works too');
    const shared = ids.map((id) => id[5]).find((c, i, all) => all.indexOf(c) !== i)!;
    await refused(loadSnapshot(store, `snap_${shared}`), 'AmbiguousId');
    const unknown = await refused(loadSnapshot(store, 'snap_ffffffffffffffff0'), 'UnknownId');
    assert.match(unknown.message, /snap_ffffffffffffffff0/);
    await refused(loadSnapshot(store, 'not-an-id'), 'UnknownId');
  });

  it('rejects a manifest with any one byte changed (TamperedManifest), in load and verify', async function () {
    const { repos } = kit.workspace(2);
    const snap = await createSnapshot(
      store,
      repos.map((r) => r.dir),
      { message: 'baseline', campaign: 'camp_0123456789ab' },
    );
    const file = store.path('snapshots', `${snap.id}.json`);
    const original = fs.readFileSync(file);
    let tried = 0;
    for (let i = 0; i < original.length; i++) {
      if (/\s/.test(String.fromCharCode(original[i]))) continue; // layout, not content
      const edited = Buffer.from(original);
      edited[i] = original[i] === 0x61 ? 0x62 : 0x61;
      fs.writeFileSync(file, edited);
      await refused(loadSnapshot(store, snap.id), 'TamperedManifest');
      if (i % 50 === 0) await refused(verifySnapshot(store, snap.id), 'TamperedManifest');
      tried++;
    }
    assert.ok(tried > 300, `only ${tried} bytes tried`);
    fs.writeFileSync(file, Buffer.from(original.toString('utf8').replace('"baseline"', '"edited"')));
    const e = await refused(loadSnapshot(store, snap.id), 'TamperedManifest');
    assert.strictEqual(e.path, file);
    const [listed] = await listSnapshots(store);
    assert.strictEqual(listed.valid, false);
    fs.writeFileSync(file, original);
    assert.strictEqual((await verifySnapshot(store, snap.id)).ok, true);
  });

  it('verify reports a repo that lost its pin ref or was deleted', async function () {
    const { repos } = kit.workspace(3);
    const snap = await createSnapshot(
      store,
      repos.map((r) => r.dir),
    );
    const ok = await verifySnapshot(store, snap.id);
    assert.deepStrictEqual(ok, { id: snap.id, ok: true, repos: repos.map((r) => ({ path: r.dir, ok: true, problems: [] })) });

    repos[0].git('update-ref', '-d', snapshotRef(snap.id));
    fs.rmSync(repos[2].dir, { recursive: true, force: true });
    const v = await verifySnapshot(store, snap.id);
    assert.strictEqual(v.ok, false);
    assert.deepStrictEqual(v.repos[0].problems, [`pin ref ${snapshotRef(snap.id)} is missing`]);
    assert.strictEqual(v.repos[1].ok, true);
    assert.strictEqual(v.repos[2].ok, false);
    assert.match(v.repos[2].problems[0], /not found/);
  });

  it('pins each state with a commit on HEAD that git log can show', async function () {
    const repo = kit.repo(path.join(kit.tempDir(), 'pin'));
    repo.write('wip.txt', 'wip\n');
    const snap = await createSnapshot(store, [repo.dir]);
    const ref = snapshotRef(snap.id);
    assert.strictEqual(repo.git('rev-parse', `${ref}^`), repo.head());
    assert.strictEqual(repo.git('rev-parse', `${ref}:worktree`), snap.repos[0].worktree);
    assert.strictEqual(repo.git('rev-parse', `${ref}:index`), snap.repos[0].index);
    assert.match(repo.git('log', '-1', '--format=%s', ref), new RegExp(snap.id));
  });
});

describe('store', function () {
  const kit = RepoKit.forSuite();

  it('writes JSON atomically, reads it back, lists by suffix and leaves no temp files', async function () {
    const store = new Store(kit.tempDir('cc-store-'));
    await store.writeJson('things/b.json', { b: 2 });
    await store.writeJson('things/a.json', { a: 1 });
    await store.writeJson('things/a.json', { a: 3 });
    fs.writeFileSync(store.path('things', '.hidden.json'), '{}');
    fs.writeFileSync(store.path('things', 'note.txt'), 'x');
    assert.deepStrictEqual(await store.readJson('things/a.json'), { a: 3 });
    assert.strictEqual(await store.readJson('things/none.json'), undefined);
    assert.deepStrictEqual(await store.list('things', '.json'), ['a.json', 'b.json']);
    assert.deepStrictEqual(await store.list('missing', '.json'), []);
    assert.deepStrictEqual(
      fs.readdirSync(store.path('things')).filter((n) => n.endsWith('.tmp')),
      [],
    );
    fs.writeFileSync(store.path('things', 'bad.json'), '{"a":');
    await refused(store.readJson('things/bad.json'), 'StoreCorrupt');
  });

  it('is found by --store first, then $CODECONTEXT_HOME, then the data folder', function () {
    const saved = process.env.CODECONTEXT_HOME;
    try {
      process.env.CODECONTEXT_HOME = '/tmp/cc-home';
      assert.strictEqual(Store.locate('/tmp/explicit').dir, '/tmp/explicit');
      assert.strictEqual(Store.locate().dir, '/tmp/cc-home');
      delete process.env.CODECONTEXT_HOME;
      assert.match(Store.locate().dir, /codecontext$/);
    } finally {
      if (saved === undefined) delete process.env.CODECONTEXT_HOME;
      else process.env.CODECONTEXT_HOME = saved;
    }
  });
});
