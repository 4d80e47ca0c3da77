import * as assert from 'assert';
import * as path from 'path';
import { CampaignCheckpointRequest, CampaignStartRequest, RollbackPreviewRequest } from '../../server/src/protocol';
import { pushedWorkspace } from '../helpers/remotes';
import { serverFixture } from './serverKit';

/**
 * The preview the extension shows carries what of the campaign is on the remotes (issue 22, item 1):
 * per repo the structured `remotes` and the server's words for them (`remoteLines`), so the panel
 * and the confirmation show it without any git of their own. `fetch` asks the remotes first.
 */
describe('server: what of the campaign the remotes hold, in the preview', () => {
  const f = serverFixture((kit) => {
    const { root, repos } = pushedWorkspace(kit, 2);
    return { root, repos };
  });

  it('origin/main with its campaign commit, per repo; a fetch that fails is a note and the preview still comes', async () => {
    const camp = await f.server.request(CampaignStartRequest, { name: 'bump' });
    const baseline = f.repos[0].head();
    for (const r of f.repos) {
      r.write('a.txt', 'v2\n').commitAll('bump');
      r.git('push', '-q', 'origin', 'main');
    }
    await f.server.request(CampaignCheckpointRequest, { campaign: camp.id, message: 'bump and push' });

    const preview = await f.server.request(RollbackPreviewRequest, { campaign: camp.id });
    for (const r of f.repos) {
      const repo = preview.repos.find((x) => x.path === r.dir)!;
      assert.deepStrictEqual(repo.remotes?.reached[0].branches, [
        {
          branch: 'main',
          trackingRef: 'refs/remotes/origin/main',
          tip: r.head(),
          campaignCommits: 1,
          created: false,
          advancedFrom: baseline,
          line: { runs: [{ newest: r.head(), base: baseline }], descends: true, tipTree: r.git('rev-parse', 'HEAD^{tree}') },
        },
      ]);
      assert.deepStrictEqual(repo.remoteLines, [
        `origin/main still has 1 campaign commit (the campaign advanced it from ${baseline.slice(0, 7)}); the next pull brings it back`,
        'a local rollback does not change origin',
      ]);
    }

    f.repos[1].git('remote', 'set-url', 'origin', `file://${path.join(f.kit.tempDir('cc-gone-'), 'missing.git')}`);
    const fetched = await f.server.request(RollbackPreviewRequest, { campaign: camp.id, fetch: true });
    const [ok, failed] = f.repos.map((r) => fetched.repos.find((x) => x.path === r.dir)!);
    assert.strictEqual(ok.remotes?.fetched, true);
    assert.deepStrictEqual(ok.notes, []);
    assert.match(failed.notes.join('\n'), /^could not fetch origin: '.*missing\.git' does not appear to be a git repository$/m);
    assert.strictEqual(failed.remoteLines.length, 2, 'what the remote-tracking refs said is still said');
    assert.strictEqual(fetched.hash, preview.hash, 'a fetch changes nothing the rollback does: the same plan');
  });
});
