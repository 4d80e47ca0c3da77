import * as assert from 'assert';
import * as path from 'path';
import {
  CampaignCheckpointRequest,
  CampaignStartRequest,
  RollbackExecuteRequest,
  ReposListRequest,
  RollbackPreviewRequest,
  SnapshotCreateRequest,
} from '../../server/src/protocol';
import { git, runCli } from '../helpers/repoKit';
import { pushedWorkspace } from '../helpers/remotes';
import { TestServer, serverFixture } from './serverKit';

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
          line: {
            runs: [{ newest: r.head(), base: baseline }],
            descends: true,
            tipTree: r.git('rev-parse', 'HEAD^{tree}'),
            baseTree: r.git('rev-parse', `${baseline}^{tree}`),
          },
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

/**
 * Issue 22, items 2 and 5 through the server: a preview that names remotes (`remotes`) plans their
 * pushes (`pushLines`, `remoteChoices`) and executing it pushes them; the `pushSnapshots` setting
 * publishes every snapshot created to each repo's remote.
 */
describe('server: the remote rollback chosen in the preview, and snapshots pushed by the setting', () => {
  const f = serverFixture(
    (kit) => {
      const { root, repos, remotes } = pushedWorkspace(kit, 2);
      return { root, repos, bares: remotes } as { root: string; repos: typeof repos };
    },
    { settings: { pushSnapshots: true } },
  );

  it('remotes chosen per repo are planned and pushed; the other repo’s remote is left; a snapshot is pushed as it is made', async () => {
    const bares = (f as unknown as { bares: string[] }).bares;
    const snap = await f.server.request(SnapshotCreateRequest, { message: 'before' });
    assert.deepStrictEqual(
      snap.pushed?.map((p) => [p.repo, p.remote, p.ok]),
      f.repos.map((r) => [r.dir, 'origin', true]),
    );
    for (const b of bares) assert.ok(git(b, 'rev-parse', `refs/codecontext/snapshots/${snap.id}`), 'the snapshot was pushed');
    const camp = await f.server.request(CampaignStartRequest, { name: 'bump' });
    const baseline = f.repos[0].head();
    for (const r of f.repos) {
      r.write('a.txt', 'v2\n').commitAll('bump');
      r.git('push', '-q', 'origin', 'main');
    }
    await f.server.request(CampaignCheckpointRequest, { campaign: camp.id, message: 'bump and push' });
    const local = await f.server.request(RollbackPreviewRequest, { campaign: camp.id });
    assert.deepStrictEqual(local.repos[0].remoteChoices, [{ remote: 'origin', chosen: false }]);
    assert.deepStrictEqual(local.repos[0].pushLines, []);
    const chosen = await f.server.request(RollbackPreviewRequest, { campaign: camp.id, remotes: [{ repo: f.repos[0].dir, remote: 'origin' }] });
    const first = chosen.repos.find((r) => r.path === f.repos[0].dir)!;
    assert.deepStrictEqual(first.remoteChoices, [{ remote: 'origin', chosen: true }]);
    assert.deepStrictEqual(first.pushLines, ['push a revert commit on origin/main undoing 1 campaign commit']);
    assert.notStrictEqual(chosen.hash, local.hash, 'what is pushed is part of the plan');
    const other = bareHead(bares[1]);
    const done = await f.server.request(RollbackExecuteRequest, { plan: chosen.hash });
    assert.strictEqual(done.record.outcome, 'committed');
    assert.deepStrictEqual(
      done.record.pushes?.map((p) => [p.repo, p.remote, p.pushed]),
      [[f.repos[0].dir, 'origin', true]],
    );
    assert.strictEqual(git(bares[0], 'rev-parse', 'main^{tree}'), git(bares[0], 'rev-parse', `${baseline}^{tree}`));
    assert.strictEqual(bareHead(bares[1]), other);
  });
});

function bareHead(bare: string): string {
  return git(bare, 'rev-parse', 'main');
}

describe('server: recovery at start never pushes', () => {
  const f = serverFixture((kit) => {
    const { root, repos, remotes } = pushedWorkspace(kit, 2);
    return { root, repos, bares: remotes } as { root: string; repos: typeof repos };
  });

  it('a rollback killed between two pushes is left for a person’s `recover`, said so; the remote keeps what was pushed until then', async () => {
    const bares = (f as unknown as { bares: string[] }).bares;
    const camp = await f.server.request(CampaignStartRequest, { name: 'bump' });
    for (const r of f.repos) {
      r.write('a.txt', 'v2\n').commitAll('bump');
      r.git('push', '-q', 'origin', 'main');
    }
    await f.server.request(CampaignCheckpointRequest, { campaign: camp.id, message: 'bump and push' });
    const before = bares.map(bareHead);
    await f.server.stop();
    const crashed = runCli(['--parallel', '1', 'rollback', '--campaign', camp.id, '--remote'], {
      store: f.store,
      env: { CODECONTEXT_FAULTS: 'crash-after-push=1' },
    });
    assert.notStrictEqual(crashed.status, 0, 'killed');
    const pushed = bares.map(bareHead);
    assert.notStrictEqual(pushed[0], before[0], 'the first remote was pushed');

    f.server = await TestServer.start({ folders: [f.root], store: f.store });
    await f.server.request(ReposListRequest, {}); // answered only after recovery
    const [report] = f.server.recovered[0].reports;
    assert.strictEqual(report.action, 'needs-confirmation');
    assert.match(report.message, /was interrupted after it pushed to origin \(.*repo-00\); left alone\. Run `codecontext recover`/);
    assert.deepStrictEqual(bares.map(bareHead), pushed, 'nothing pushed by the server on its own');
    const rec = runCli(['recover'], { store: f.store });
    assert.strictEqual(rec.status, 0, rec.stdout + rec.stderr);
    assert.deepStrictEqual(bares.map(bareHead), before, 'a person’s recover puts it back');
  });
});
