import * as assert from 'assert';
import * as path from 'path';
import { RepoKit, runCli } from '../helpers/repoKit';

/**
 * Issue 25, item 2: a file a rollback would overwrite that changed since the newest snapshot,
 * checkpoint or rollback of its repo (whoever made it) is named as the user's edit on every target,
 * the campaign's latest checkpoint too (where there is no later checkpoint to measure drift from).
 */
describe('your edits named on every target (CLI)', function () {
  const kit = RepoKit.forSuite();

  it("the latest checkpoint's plan names the edits since it; a campaign without checkpoints names none", function () {
    const { root, store } = kit.workspace(0);
    const a = kit.repo(path.join(root, 'a'), { 'x.txt': 'x\n', 'y.txt': 'y\n' });
    const cli = (...args: string[]) => runCli(args, { store, cwd: root });
    const json = <T>(...args: string[]) => JSON.parse(cli('--json', ...args).stdout) as T;
    const camp = json<{ id: string }>('campaign', 'start', 'c', '--root', root).id;
    a.write('x.txt', 'x by the campaign\n');
    // before any checkpoint, what changed since the baseline is the campaign's own work
    const early = json<{ totals: { unsaved: number; drift: number } }>('rollback', '--campaign', camp, '--dry-run');
    assert.deepStrictEqual([early.totals.drift, early.totals.unsaved], [0, 0]);
    const latest = json<{ step: { snapshot: string } }>('campaign', 'checkpoint', camp).step.snapshot;
    a.write('y.txt', 'y, my edit\n');
    const r = cli('rollback', '--snapshot', latest, '--dry-run');
    assert.strictEqual(r.status, 0, r.stderr);
    assert.match(r.stdout, /YOUR EDIT y\.txt \(changed since the newest snapshot/);
    const plan = json<{ totals: { unsaved: number }; repos: { unsaved: string[] }[] }>('rollback', '--snapshot', latest, '--dry-run');
    assert.deepStrictEqual(plan.repos[0].unsaved, ['y.txt']);
    // named, not refused: the safety snapshot keeps the edit
    const run = cli('rollback', '--snapshot', latest);
    assert.strictEqual(run.status, 0, run.stderr);
  });
});
