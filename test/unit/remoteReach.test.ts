import * as assert from 'assert';
import { checkpointCampaign, startCampaign } from '../../server/src/engine/campaign/campaign';
import { runInCampaign } from '../../server/src/engine/campaign/campaignRun';
import { gitProcessCount } from '../../server/src/engine/git/gitRunner';
import { planRollback } from '../../server/src/engine/rollback/plan/plan';
import { RepoRemotes, campaignRemoteReach, remoteWords } from '../../server/src/engine/rollback/plan/remotes';
import { resolveTarget } from '../../server/src/engine/rollback/plan/target';
import { createSnapshot } from '../../server/src/engine/snapshot/snapshot';
import { Store } from '../../server/src/engine/store/store';
import { RepoKit } from '../helpers/repoKit';
import { commitAndPush, pushedWorkspace } from '../helpers/remotes';

/**
 * What of a campaign reached its remotes costs a repo nothing unless something may have (issue 22,
 * item 1): no commit, branch or tag of the campaign → no process; no remote-tracking ref moved
 * since the target → no process; otherwise one `git rev-list`. Counted with the runner's own count.
 */
describe('what of a campaign reached its remotes (engine)', function () {
  const kit = RepoKit.forSuite();

  async function campaignOn(count: number) {
    const { root, repos, store: dir } = pushedWorkspace(kit, count);
    const store = new Store(dir);
    const campaign = await startCampaign({ store }, 'bump', [root]);
    return { repos, store, campaign, paths: repos.map((r) => r.dir) };
  }

  /** The git processes `campaignRemoteReach` starts for the campaign's baseline, and what it found. */
  async function measured(store: Store, campaign: string, paths: string[]) {
    const target = await resolveTarget(store, { campaign });
    const before = gitProcessCount();
    const reach = await campaignRemoteReach(store, target, paths);
    return { processes: gitProcessCount() - before, reach };
  }

  it('a campaign that committed but did not push: nothing reported, and not one git process', async function () {
    const { repos, store, campaign, paths } = await campaignOn(3);
    for (const r of repos) r.write('a.txt', 'v2\n').commitAll('local only');
    await checkpointCampaign({ store }, campaign.id);
    const { processes, reach } = await measured(store, campaign.id, paths);
    assert.strictEqual(processes, 0);
    for (const p of paths) {
      assert.deepStrictEqual(reach.get(p)?.remotes.reached, [], 'the campaign made a commit here, and no remote holds it');
      assert.deepStrictEqual(remoteWords(reach.get(p)?.remotes), []);
    }
    const plan = await planRollback({ store }, { campaign: campaign.id });
    assert.ok(plan.repos.every((r) => remoteWords(r.remotes).length === 0));
  });

  it('a campaign that made no commit (files only): no repo is looked at', async function () {
    const { repos, store, campaign, paths } = await campaignOn(2);
    for (const r of repos) r.write('a.txt', 'edited, not committed\n');
    await checkpointCampaign({ store }, campaign.id);
    const { processes, reach } = await measured(store, campaign.id, paths);
    assert.deepStrictEqual([processes, reach.size], [0, 0]);
  });

  it('a campaign that pushed: one git process per repo, and origin/main named with its campaign commit', async function () {
    const { repos, store, campaign, paths } = await campaignOn(3);
    const baseline = repos[0].head();
    await runInCampaign({ store }, campaign.id, commitAndPush());
    const { processes, reach } = await measured(store, campaign.id, paths);
    assert.strictEqual(processes, 3);
    for (const r of repos) {
      assert.deepStrictEqual(reach.get(r.dir)!.remotes.reached, [
        {
          remote: 'origin',
          branches: [
            {
              branch: 'main',
              trackingRef: 'refs/remotes/origin/main',
              tip: r.head(),
              campaignCommits: 1,
              created: false,
              advancedFrom: baseline,
              line: {
                runs: [{ newest: r.head(), base: baseline }],
                descends: true,
                tipTree: r.git('rev-parse', 'HEAD^{tree}'),
                baseTree: r.git('rev-parse', `${baseline}^{tree}`),
              },
            },
          ],
          tags: [],
        },
      ]);
    }
  });

  it('a snapshot target that is no campaign checkpoint: nothing to report, no process', async function () {
    const { repos, store, paths } = await campaignOn(1);
    repos[0].write('a.txt', 'v3\n').commitAll('unrelated');
    const snap = await createSnapshot(store, paths);
    const target = await resolveTarget(store, { snapshot: snap.id });
    const before = gitProcessCount();
    const reach = await campaignRemoteReach(store, target, paths);
    assert.deepStrictEqual([gitProcessCount() - before, reach.size], [0, 0]);
  });

  it('the words: facts of each remote, then that a local rollback does not change it; a tag never asked about is "unknown"', function () {
    const reach: RepoRemotes = {
      fetched: false,
      createdBranches: ['campaign/bump'],
      createdTags: ['v2'],
      reached: [
        {
          remote: 'origin',
          branches: [
            { branch: 'campaign/bump', trackingRef: 'refs/remotes/origin/campaign/bump', tip: 'c'.repeat(40), campaignCommits: 2, created: true },
            { branch: 'main', trackingRef: 'refs/remotes/origin/main', tip: 'c'.repeat(40), campaignCommits: 1, created: false, advancedFrom: 'a'.repeat(40) },
          ],
          tags: [],
        },
        { remote: 'mirror', branches: [], tags: [], fetchFailed: 'unreachable' },
      ],
    };
    assert.deepStrictEqual(remoteWords(reach), [
      'origin has branch campaign/bump the campaign created (2 campaign commits)',
      'origin/main still has 1 campaign commit (the campaign advanced it from aaaaaaa); the next pull brings it back',
      'tag v2 the campaign created is here; whether it was pushed is unknown (the remotes were not fetched)',
      'a local rollback does not change origin',
    ]);
    assert.deepStrictEqual(remoteWords({ ...reach, fetched: true, reached: [{ remote: 'origin', branches: [], tags: ['v2'] }] }), [
      'origin has tag v2 the campaign created',
      'a local rollback does not change origin',
    ]);
    assert.deepStrictEqual(remoteWords(undefined), []);
  });
});
