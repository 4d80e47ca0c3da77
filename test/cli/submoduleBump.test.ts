import * as assert from 'assert';
import * as path from 'path';
import { RepoKit, TestRepo, runCli } from '../helpers/repoKit';

/**
 * A campaign that bumped a submodule (a dependency bump: a new commit checked out in the
 * submodule, the parent's pointer committed) rolls back like any other step (issue 21, item 10):
 * the parent's pointer and the submodule's checkout both go back, and local work inside the
 * submodule is kept (replay) or refused as drift (restore).
 */
describe('a campaign that bumped a submodule (CLI)', function () {
  const kit = RepoKit.forSuite();

  /** A parent with submodule `sub` at its first commit; a campaign that bumps it to a second. */
  function bumped(): { root: string; parent: TestRepo; sub: TestRepo; cli: (...args: string[]) => ReturnType<typeof runCli>; before: string[] } {
    const root = kit.tempDir('cc-ws-');
    const store = kit.tempDir('cc-store-');
    const upstream = kit.repo(path.join(kit.tempDir('cc-up-'), 'lib'), { 'lib.txt': 'v1\n', 'other.txt': 'other\n' });
    const parent = kit.repo(path.join(root, 'app'), { 'app.txt': 'app\n' });
    const sub = kit.submodule(parent, upstream, 'sub');
    const cli = (...args: string[]) => runCli(args, { store, cwd: root });
    const before = [parent.head(), sub.head(), parent.git('status', '--porcelain')];
    const started = cli('campaign', 'start', 'bump', '--root', root);
    assert.strictEqual(started.status, 0, started.stderr);
    // the bump: a new commit in the submodule, and the parent's pointer committed
    sub.write('lib.txt', 'v2\n').commitAll('lib v2');
    parent.git('add', 'sub');
    parent.git('commit', '-q', '-m', 'bump sub');
    const step = cli('campaign', 'checkpoint', 'bump');
    assert.strictEqual(step.status, 0, step.stderr);
    return { root, parent, sub, cli, before };
  }

  it('restore: the parent pointer and the submodule checkout both go back; undo brings the bump back', function () {
    const { parent, sub, cli, before } = bumped();
    const after = [parent.head(), sub.head(), parent.git('status', '--porcelain')];
    const r = cli('rollback', '--campaign', 'bump');
    assert.strictEqual(r.status, 0, r.stdout + r.stderr);
    assert.deepStrictEqual([parent.head(), sub.head(), parent.git('status', '--porcelain')], before);
    assert.strictEqual(sub.read('lib.txt').toString(), 'v1\n');
    const rb = /^(rb_[0-9a-f]+): committed/.exec(r.stdout)![1];
    const undo = cli('rollback', 'undo', rb);
    assert.strictEqual(undo.status, 0, undo.stdout + undo.stderr);
    assert.deepStrictEqual([parent.head(), sub.head(), parent.git('status', '--porcelain')], after);
    assert.strictEqual(sub.read('lib.txt').toString(), 'v2\n');
  });

  it('restore: an edit made inside the submodule since is drift: refused, and nothing moves', function () {
    const { parent, sub, cli } = bumped();
    sub.write('other.txt', 'my local work\n');
    const heads = [parent.head(), sub.head()];
    const r = cli('rollback', '--campaign', 'bump');
    assert.strictEqual(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /sub: other\.txt: 1 file changed since the campaign's last checkpoint/);
    assert.deepStrictEqual([parent.head(), sub.head()], heads);
    assert.strictEqual(sub.read('other.txt').toString(), 'my local work\n');
  });

  it('replay: both pointers go back and the local edit inside the submodule is kept', function () {
    const { parent, sub, cli, before } = bumped();
    sub.write('other.txt', 'my local work\n');
    const r = cli('rollback', '--campaign', 'bump', '--mode', 'replay');
    assert.strictEqual(r.status, 0, r.stdout + r.stderr);
    assert.deepStrictEqual([parent.head(), sub.head()], before.slice(0, 2));
    assert.strictEqual(sub.read('lib.txt').toString(), 'v1\n');
    assert.strictEqual(sub.read('other.txt').toString(), 'my local work\n');
  });

  it('a rollback of the parent alone leaves the submodule and its pointer as they are', function () {
    const { root, parent, sub, cli } = bumped();
    const subHead = sub.head();
    const r = cli('rollback', '--campaign', 'bump', '--repo', path.join(root, 'app'));
    assert.strictEqual(r.status, 0, r.stdout + r.stderr);
    assert.strictEqual(sub.head(), subHead);
    assert.strictEqual(sub.read('lib.txt').toString(), 'v2\n');
    assert.strictEqual(parent.git('log', '-1', '--format=%s'), 'add submodule sub');
  });
});
