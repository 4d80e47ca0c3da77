import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import type { RollbackPlan } from '../../server/src/engine/rollback/plan/plan';
import type { EvidencePack } from '../../server/src/engine/rollback/evidence/pack';
import { RepoKit, TestRepo, runCli } from '../helpers/repoKit';
import { commitAndPush, pushedWorkspace } from '../helpers/remotes';

/**
 * Issue 22, item 1 ("see it"): a campaign whose work was pushed is still on its remotes after a
 * local rollback, and every rollback says so: the dry run, the run's own lines, `--json`, the
 * evidence pack and its page. Real bare remotes over file://, the CLI as a user runs it.
 */
describe('a campaign that pushed: what of it is on the remotes (CLI)', function () {
  const kit = RepoKit.forSuite();

  function pushed(count = 3): { store: string; repos: TestRepo[]; cli: (...args: string[]) => ReturnType<typeof runCli>; baseline: string } {
    const { root, store, repos } = pushedWorkspace(kit, count);
    const cli = (...args: string[]) => runCli(args, { store, cwd: root });
    const baseline = repos[0].head();
    const started = cli('campaign', 'start', 'bump', '--root', root);
    assert.strictEqual(started.status, 0, started.stderr);
    return { store, repos, cli, baseline };
  }

  const plan = (r: { stdout: string }) => JSON.parse(r.stdout) as RollbackPlan;

  it('the issue’s scenario: each repo names origin/main and its campaign commits; --json has the structure; the real rollback says it again', function () {
    const { repos, cli, baseline } = pushed(3);
    const run = cli('campaign', 'run', 'bump', '--', ...commitAndPush());
    assert.strictEqual(run.status, 0, run.stdout + run.stderr);
    // a second commit, pushed, in the first repo only: two campaign commits there
    repos[0].write('b.txt', 'more\n').commitAll('more');
    repos[0].git('push', '-q', 'origin', 'main');
    assert.strictEqual(cli('campaign', 'checkpoint', 'bump').status, 0);

    const dry = cli('rollback', '--campaign', 'bump', '--dry-run');
    assert.strictEqual(dry.status, 0, dry.stdout + dry.stderr);
    assert.match(dry.stdout, /on remotes: the campaign reached the remotes of 3 repos; a local rollback does not change them/);
    for (const [i, r] of repos.entries()) {
      const block = dry.stdout.slice(dry.stdout.indexOf(path.basename(r.dir)));
      const n = i === 0 ? '2 campaign commits' : '1 campaign commit';
      assert.match(block, new RegExp(`REMOTE origin/main still has ${n} \\(the campaign advanced it from ${baseline.slice(0, 7)}\\); the next pull brings`));
    }
    assert.match(dry.stdout, /REMOTE a local rollback does not change origin/);

    const json = plan(cli('--json', 'rollback', '--campaign', 'bump', '--dry-run'));
    const first = json.repos.find((r) => r.path === repos[0].dir)!;
    assert.deepStrictEqual(first.remotes, {
      fetched: false,
      createdBranches: [],
      createdTags: [],
      reached: [
        {
          remote: 'origin',
          branches: [
            {
              branch: 'main',
              trackingRef: 'refs/remotes/origin/main',
              tip: repos[0].head(),
              campaignCommits: 2,
              created: false,
              advancedFrom: baseline,
              // its first-parent line: one run of campaign commits, on top of where the campaign found it (what a revert undoes)
              line: {
                runs: [{ newest: repos[0].head(), base: baseline }],
                descends: true,
                tipTree: repos[0].git('rev-parse', 'HEAD^{tree}'),
                baseTree: repos[0].git('rev-parse', `${baseline}^{tree}`),
              },
            },
          ],
          tags: [],
        },
      ],
    });

    const real = cli('rollback', '--campaign', 'bump');
    assert.strictEqual(real.status, 0, real.stdout + real.stderr);
    assert.match(real.stdout, /committed — 3 of 3 repos back to bump baseline/);
    assert.match(real.stdout, /repo-00: origin\/main still has 2 campaign commits/);
    assert.match(
      real.stderr,
      /^codecontext: the campaign reached the remotes of 3 repos; this rollback is local and does not change them \(--remote rolls them back too\)$/m,
      'said before it runs',
    );
    assert.strictEqual(repos[0].head(), baseline, 'the local rollback happened');
    assert.notStrictEqual(repos[0].git('rev-parse', 'origin/main'), baseline, 'and the remote is as it was');

    // the evidence pack records it per repo, and its page has a section for it
    const evidence = /^evidence: (.+)$/m.exec(real.stdout)![1];
    const pack = JSON.parse(fs.readFileSync(evidence, 'utf8')) as EvidencePack;
    assert.deepStrictEqual(pack.repos.find((r) => r.path === repos[0].dir)!.remotes, first.remotes);
    const page = fs.readFileSync(evidence.replace(/\.json$/, '.html'), 'utf8');
    assert.match(page, /<h2>On the remotes<\/h2>/);
    assert.match(page, /<strong>repo-02<\/strong>: origin\/main still has 1 campaign commit/);
    const shown = cli('evidence', 'verify', pack.id);
    assert.strictEqual(shown.status, 0, shown.stdout + shown.stderr);
  });

  it('a branch and a tag the campaign created and pushed: the branch is read from origin’s refs; the tag only a fetch can tell', function () {
    const { repos, cli } = pushed(1);
    const [repo] = repos;
    repo.git('checkout', '-q', '-b', 'campaign/bump');
    repo.write('a.txt', 'v2\n').commitAll('bump');
    repo.git('tag', '-a', '-m', 'release', 'v2');
    repo.git('push', '-q', 'origin', 'campaign/bump');
    repo.git('push', '-q', 'origin', 'tag', 'v2');
    assert.strictEqual(cli('campaign', 'checkpoint', 'bump').status, 0);

    const dry = cli('rollback', '--campaign', 'bump', '--dry-run');
    assert.strictEqual(dry.status, 0, dry.stdout + dry.stderr);
    assert.match(dry.stdout, /REMOTE origin has branch campaign\/bump the campaign created \(1 campaign commit\)/);
    assert.match(dry.stdout, /REMOTE tag v2 the campaign created is here; whether it was pushed is unknown/);
    assert.doesNotMatch(dry.stdout, /origin\/main still has/, 'main did not move');
    assert.match(dry.stdout, /a local rollback does not change them \(--remote rolls them back too\)/, 'the remote rollback is offered');

    const fetched = plan(cli('--json', 'rollback', '--campaign', 'bump', '--dry-run', '--fetch'));
    const r = fetched.repos[0].remotes!;
    assert.deepStrictEqual([r.fetched, r.createdBranches, r.createdTags], [true, ['campaign/bump'], ['v2']]);
    assert.deepStrictEqual(r.reached[0].tags, ['v2']);
    assert.deepStrictEqual(
      r.reached[0].branches.map((b) => [b.branch, b.created, b.campaignCommits]),
      [['campaign/bump', true, 1]],
    );
    const text = cli('rollback', '--campaign', 'bump', '--dry-run', '--fetch');
    assert.match(text.stdout, /REMOTE origin has tag v2 the campaign created/);
    assert.doesNotMatch(text.stdout, /whether it was pushed is unknown/);

    // a tag made but never pushed: the remote, asked, does not have it, and nothing is said of it
    repo.git('tag', 'v3');
    assert.strictEqual(cli('campaign', 'checkpoint', 'bump').status, 0);
    const asked = plan(cli('--json', 'rollback', '--campaign', 'bump', '--dry-run', '--fetch'));
    assert.deepStrictEqual(asked.repos[0].remotes!.createdTags, ['v2', 'v3']);
    assert.deepStrictEqual(asked.repos[0].remotes!.reached[0].tags, ['v2']);
  });

  it('--fetch with an unreachable remote: a note on that repo, the plan still made, exit 0', function () {
    const { repos, cli } = pushed(2);
    assert.strictEqual(cli('campaign', 'run', 'bump', '--', ...commitAndPush()).status, 0);
    repos[1].git('remote', 'set-url', 'origin', `file://${path.join(kit.tempDir('cc-gone-'), 'no-such-remote.git')}`);
    const dry = cli('rollback', '--campaign', 'bump', '--dry-run', '--fetch');
    assert.strictEqual(dry.status, 0, dry.stdout + dry.stderr);
    assert.match(dry.stdout, /note: could not fetch origin: '.*no-such-remote\.git' does not appear to be a git repository/);
    // what the remote-tracking refs said before the fetch failed is still said, for both repos
    assert.strictEqual((dry.stdout.match(/REMOTE origin\/main still has 1 campaign commit/g) ?? []).length, 2);
    const json = plan(cli('--json', 'rollback', '--campaign', 'bump', '--dry-run', '--fetch'));
    assert.match(json.repos[1].remotes!.reached[0].fetchFailed ?? '', /does not appear to be a git repository/);
    assert.strictEqual(json.repos[0].remotes!.reached[0].fetchFailed, undefined);
  });

  it('a campaign recorded before refs were: HEAD’s commits are still counted; --json says the created branches are unknown', function () {
    const { store, cli } = pushed(1);
    assert.strictEqual(cli('campaign', 'run', 'bump', '--', ...commitAndPush()).status, 0);
    // as a store written by an older version holds it: no refs files
    const campaigns = path.join(store, 'campaigns');
    const removed = fs
      .readdirSync(campaigns, { recursive: true, encoding: 'utf8' })
      .filter((f) => path.basename(f).startsWith('refs-'))
      .map((f) => fs.rmSync(path.join(campaigns, f)));
    assert.strictEqual(removed.length, 2, 'the baseline’s and the step’s');
    const json = plan(cli('--json', 'rollback', '--campaign', 'bump', '--dry-run'));
    const r = json.repos[0].remotes!;
    assert.strictEqual(r.createdUnknown, 'created branches unknown (campaign recorded before refs were)');
    assert.deepStrictEqual(
      r.reached[0].branches.map((b) => [b.branch, b.campaignCommits, b.advancedFrom]),
      [['main', 1, undefined]],
    );
    const text = cli('rollback', '--campaign', 'bump', '--dry-run');
    assert.match(text.stdout, /REMOTE origin\/main still has 1 campaign commit; the next pull brings it back/);
    assert.doesNotMatch(text.stdout, /unknown/, 'said in --json only');
  });
});
