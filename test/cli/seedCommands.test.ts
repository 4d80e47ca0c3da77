import * as assert from 'assert';
import { RepoKit, fingerprints, runCli } from '../helpers/repoKit';

/** The product's origin document shows exactly two commands; on a fresh store they must work as typed. */
describe("the seed's two commands, verbatim", function () {
  const kit = RepoKit.forSuite();

  it('snapshot create --campaign camp_abc123 starts that campaign; campaign run/log and rollback --snapshot / --campaign take the same id', function () {
    const { root, repos, store } = kit.workspace(3);
    const before = fingerprints(repos);
    const created = runCli(['snapshot', 'create', '--campaign', 'camp_abc123'], { store, cwd: root });
    assert.strictEqual(created.status, 0, created.stderr);
    const [snap, said] = created.stdout.trim().split('\n');
    assert.match(snap, /^snap_[0-9a-f]{16}$/);
    assert.strictEqual(said, 'started campaign camp_abc123 with this snapshot as its baseline');

    assert.strictEqual(runCli(['campaign', 'run', 'camp_abc123', '--', 'sh', '-c', 'echo changed > README.md'], { store }).status, 0);
    const log = runCli(['campaign', 'log', 'camp_abc123'], { store });
    assert.match(log.stdout, new RegExp(`camp_abc123 .*3 repos {2}baseline ${snap}`));
    assert.match(log.stdout, /step 1 .*\n {4}3 repos changed/);

    const rolled = runCli(['rollback', '--snapshot', snap], { store });
    assert.strictEqual(rolled.status, 0, rolled.stderr);
    assert.deepStrictEqual(fingerprints(repos), before);

    // and by the campaign id, after another change
    assert.strictEqual(runCli(['campaign', 'run', 'camp_abc123', '--', 'sh', '-c', 'echo again > README.md'], { store }).status, 0);
    assert.strictEqual(runCli(['rollback', '--campaign', 'camp_abc123'], { store }).status, 0);
    assert.deepStrictEqual(fingerprints(repos), before);
  });

  it("an id of any form (a ticket) becomes the name; an existing campaign keeps today's behaviour", function () {
    const { root, store } = kit.workspace(1);
    const first = runCli(['snapshot', 'create', '--campaign', 'JIRA-1234', '--root', root], { store });
    assert.strictEqual(first.status, 0, first.stderr);
    assert.match(first.stdout, /started campaign camp_[0-9a-f]+ \(JIRA-1234\) with this snapshot as its baseline/);
    assert.strictEqual(runCli(['campaign', 'log', 'JIRA-1234'], { store }).status, 0);
    const again = runCli(['snapshot', 'create', '--campaign', 'JIRA-1234', '-m', 'later'], { store });
    assert.strictEqual(again.status, 0, again.stderr);
    assert.doesNotMatch(again.stdout, /started campaign/);
    assert.strictEqual((JSON.parse(runCli(['campaign', 'list', '--json'], { store }).stdout) as unknown[]).length, 1);
  });
});
