import * as assert from 'assert';
import * as path from 'path';
import { RepoKit, TestRepo, runCli } from '../helpers/repoKit';

/**
 * The two bookkeeping bugs of issue 20, as a user meets them: the store's effects of a rollback
 * (the campaign's status, `undoneBy`) were written outside the journal, so a kill right after
 * `verified` lost them for good. Now they are effects of the outcome, finished by `recover`.
 */
describe('recover finishes the bookkeeping of a transaction killed after it verified', function () {
  const kit = RepoKit.forSuite();

  function campaignOf3(): {
    root: string;
    repos: TestRepo[];
    store: string;
    camp: string;
    cli: (args: string[], env?: NodeJS.ProcessEnv) => ReturnType<typeof runCli>;
  } {
    const template = kit.repo(path.join(kit.tempDir('cc-tpl-'), 'template'), { 'a.txt': 'v1\n' });
    const { root, repos } = kit.copies(template, 3);
    const store = kit.tempDir('cc-store-');
    const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => runCli(args, { store, env });
    const camp = JSON.parse(cli(['campaign', 'start', 'bump', '--root', root, '--json']).stdout).id as string;
    for (const r of repos) r.write('a.txt', 'v2\n');
    assert.strictEqual(cli(['campaign', 'checkpoint', camp]).status, 0);
    return { root, repos, store, camp, cli };
  }
  const status = (cli: ReturnType<typeof campaignOf3>['cli'], camp: string) =>
    (JSON.parse(cli(['campaign', 'list', '--json']).stdout) as { id: string; status: string }[]).find((c) => c.id === camp)?.status;
  const killedAfterVerified = { CODECONTEXT_FAULTS: 'kill-at=append:verified#1' };

  it('a rollback of a campaign killed right after `verified`: recover marks the campaign rolled back, as an uninterrupted run does', function () {
    const { repos, camp, cli } = campaignOf3();
    const killed = cli(['rollback', '--campaign', camp], killedAfterVerified);
    assert.strictEqual(killed.status, -1, `the kill landed: ${killed.stderr}`);
    assert.strictEqual(status(cli, camp), 'active', 'before recovery');
    const rec = cli(['recover', '--json']);
    assert.strictEqual(rec.status, 0, rec.stderr);
    assert.deepStrictEqual(
      (JSON.parse(rec.stdout) as { action: string; outcome: string }[]).map((r) => [r.action, r.outcome]),
      [['already-complete', 'committed']],
    );
    assert.strictEqual(status(cli, camp), 'rolled-back');
    const [record] = JSON.parse(cli(['rollback', 'list', '--json']).stdout) as { outcome: string }[];
    assert.strictEqual(record.outcome, 'committed');
    for (const r of repos) assert.strictEqual(r.read('a.txt').toString(), 'v1\n');
    assert.strictEqual(cli(['evidence', 'verify', '--chain']).status, 0);
  });

  it('an undo killed right after `verified`: recover marks the rollback undone, and a second undo is refused', function () {
    const { repos, camp, cli } = campaignOf3();
    assert.strictEqual(cli(['rollback', '--campaign', camp]).status, 0);
    const rb = (JSON.parse(cli(['rollback', 'list', '--json']).stdout) as { id: string }[])[0].id;
    const killed = cli(['rollback', 'undo', rb], killedAfterVerified);
    assert.strictEqual(killed.status, -1, `the kill landed: ${killed.stderr}`);
    // before recovery, an undo of it is not started on top of the interrupted one
    const early = cli(['rollback', 'undo', rb]);
    assert.strictEqual(early.status, 1);
    assert.match(early.stderr, /was interrupted; run `codecontext recover` first/);
    assert.strictEqual(cli(['recover']).status, 0);
    const list = JSON.parse(cli(['rollback', 'list', '--json']).stdout) as { id: string; kind: string; undoneBy?: string; outcome: string }[];
    const undo = list.find((r) => r.kind === 'undo')!;
    assert.strictEqual(undo.outcome, 'committed');
    assert.strictEqual(list.find((r) => r.id === rb)?.undoneBy, undo.id);
    assert.strictEqual(status(cli, camp), 'active', 'the undo gives the campaign back');
    for (const r of repos) assert.strictEqual(r.read('a.txt').toString(), 'v2\n');
    const again = cli(['rollback', 'undo', rb]);
    assert.strictEqual(again.status, 1);
    assert.match(again.stderr, new RegExp(`already undone by ${undo.id}`));
    for (const r of repos) assert.strictEqual(r.read('a.txt').toString(), 'v2\n', 'the second undo changed nothing');
  });
});
