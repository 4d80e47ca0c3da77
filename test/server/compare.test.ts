import * as assert from 'assert';
import {
  CampaignCheckpointRequest,
  CampaignOverlapRequest,
  CampaignStartRequest,
  RollbackCompareFilesRequest,
  RollbackCompareRequest,
  RollbackDriftRequest,
  RollbackExecuteRequest,
  RollbackPlanFilesRequest,
  RollbackPreviewRequest,
  SnapshotCreateRequest,
  SnapshotListRequest,
} from '../../server/src/protocol';
import { serverFixture } from './serverKit';

describe('server: what a rollback would change, without a plan (issue 15)', () => {
  const f = serverFixture((kit) => kit.workspace(3));

  it('compares many snapshots with now in one request, with the counts a preview gives', async () => {
    const first = await f.server.request(SnapshotCreateRequest, { message: 'first' });
    f.repos[0].write('README.md', 'changed\n');
    f.repos[0].write('NEW.md', 'new\n');
    const second = await f.server.request(SnapshotCreateRequest, { message: 'second' });
    f.repos[1].write('README.md', 'changed too\n');
    const { snapshots } = await f.server.request(RollbackCompareRequest, { snapshots: [first.id, second.id, 'snap_ffffffff'] });
    assert.deepStrictEqual(
      snapshots.slice(0, 2).map((s) => [s.snapshot, s.totals.reposChanged, s.totals.files, s.repos.map((r) => r.files)]),
      [
        [first.id, 2, 3, [2, 1, 0]],
        [second.id, 1, 1, [0, 1, 0]],
      ],
    );
    assert.match(snapshots[2].problem ?? '', /no such snapshot/);
    const preview = await f.server.request(RollbackPreviewRequest, { snapshot: first.id });
    assert.deepStrictEqual([preview.totals.reposChanged, preview.totals.files], [snapshots[0].totals.reposChanged, snapshots[0].totals.files]);
  });

  it('marking status (compare, drift) adds no plan to the cache: the plan the user is about to run survives marks of 17 snapshots', async () => {
    const camp = await f.server.request(CampaignStartRequest, { name: 'marks' });
    const many: string[] = [];
    for (let i = 0; i < 17; i++) {
      f.repos[0].write('COUNT.md', `${i}\n`);
      many.push((await f.server.request(SnapshotCreateRequest, { message: `state ${i}` })).id);
    }
    const preview = await f.server.request(RollbackPreviewRequest, { campaign: camp.id });
    // the Snapshots tree and the quick pick mark every snapshot: with a preview each, 17 plans would push this one out
    await f.server.request(RollbackCompareRequest, { snapshots: many });
    for (const id of many) await f.server.request(RollbackCompareRequest, { snapshots: [id] });
    await f.server.request(RollbackDriftRequest, { campaign: camp.id });
    // and expanding a repo in the tree lists its files the same cheap way
    for (const id of many) await f.server.request(RollbackCompareFilesRequest, { snapshot: id, repo: f.repos[0].dir });
    const { record } = await f.server.request(RollbackExecuteRequest, { plan: preview.hash });
    assert.strictEqual(record.outcome, 'committed');
    assert.ok(!f.repos[0].exists('COUNT.md'));

    // the control: previews in their place do evict it
    f.repos[0].write('COUNT.md', 'again\n');
    const evicted = await f.server.request(RollbackPreviewRequest, { campaign: camp.id });
    for (const id of many) await f.server.request(RollbackPreviewRequest, { snapshot: id });
    const e = await f.server.error(RollbackExecuteRequest, { plan: evicted.hash });
    assert.match(e.message, /no previewed plan/);
  });

  it("lists a repo's files that differ from a snapshot as a preview does, paged, without a plan", async () => {
    const snap = await f.server.request(SnapshotCreateRequest, { message: 'before' });
    const r = f.repos[0];
    r.write('README.md', 'one\ntwo\nthree\n')
      .write('added.md', 'new\n')
      .write('logo.bin', Buffer.from([0, 1, 2]));
    const files = await f.server.request(RollbackCompareFilesRequest, { snapshot: snap.id.slice(0, 12), repo: r.dir });
    assert.strictEqual(files.snapshot, snap.id);
    assert.deepStrictEqual([files.total, files.headChanged, files.indexChanged], [3, false, false]);
    const preview = await f.server.request(RollbackPreviewRequest, { snapshot: snap.id });
    const planned = await f.server.request(RollbackPlanFilesRequest, { plan: preview.hash, repo: r.dir });
    const shown = (x: typeof files.items) => x.map((i) => [i.path, i.change, i.action, i.fromBlob, i.blob, i.added, i.removed, i.binary]);
    assert.deepStrictEqual(shown(files.items), shown(planned.items), "the tree's files are the plan's");
    const second = await f.server.request(RollbackCompareFilesRequest, { snapshot: snap.id, repo: r.dir, offset: 1, limit: 1 });
    assert.deepStrictEqual([second.offset, second.total, second.items.map((i) => i.path)], [1, 3, [files.items[1].path]]);
    const none = await f.server.request(RollbackCompareFilesRequest, { snapshot: snap.id, repo: f.repos[2].dir });
    assert.deepStrictEqual([none.total, none.items], [0, []]);
    const e = await f.server.error(RollbackCompareFilesRequest, { snapshot: snap.id, repo: '/nowhere/repo' });
    assert.match(e.message, /not a repo of snapshot/);
  });

  it("a campaign already rolled back shows no drift: what a rollback would not change is no one's loss", async () => {
    const camp = await f.server.request(CampaignStartRequest, { name: 'done' });
    f.repos[0].write('README.md', 'campaign edit\n');
    await f.server.request(CampaignCheckpointRequest, { campaign: camp.id, message: 'step' });
    const first = await f.server.request(RollbackPreviewRequest, { campaign: camp.id });
    await f.server.request(RollbackExecuteRequest, { plan: first.hash });
    // every repo is at the baseline again: the files differ from the checkpoint, but a rollback leaves them be
    const again = await f.server.request(RollbackPreviewRequest, { campaign: camp.id });
    assert.deepStrictEqual([again.totals.files, again.totals.drift], [0, 0]);
    const { snapshots } = await f.server.request(RollbackCompareRequest, { snapshots: [camp.baseline] });
    assert.deepStrictEqual([snapshots[0].totals.files, snapshots[0].totals.drift], [0, 0]);
    const marks = await f.server.request(RollbackDriftRequest, { campaign: camp.id });
    assert.deepStrictEqual(
      marks.repos.flatMap((r) => r.drift),
      [],
    );
    // the control: an edit of the user's that the rollback would overwrite is drift
    f.repos[1].write('README.md', 'mine\n');
    const edited = await f.server.request(RollbackPreviewRequest, { campaign: camp.id });
    assert.deepStrictEqual(
      edited.repos.flatMap((r) => r.drift),
      [{ kind: 'file', path: 'README.md' }],
    );
    assert.deepStrictEqual(
      (await f.server.request(RollbackDriftRequest, { campaign: camp.id })).repos.flatMap((r) => r.drift),
      [{ kind: 'file', path: 'README.md', label: 'README.md' }],
    );
  });

  it('a snapshot of unchanged repos is the same snapshot, and keeps the new note', async () => {
    const first = await f.server.request(SnapshotCreateRequest, { message: 'nightly 1' });
    assert.ok(!first.reused);
    const again = await f.server.request(SnapshotCreateRequest, { message: 'before lunch' });
    assert.strictEqual(again.id, first.id);
    assert.strictEqual(again.reused, true);
    const { snapshots } = await f.server.request(SnapshotListRequest, {});
    assert.deepStrictEqual(
      snapshots.map((s) => [s.message, (s.notes ?? []).map((n) => n.message)]),
      [['nightly 1', ['before lunch']]],
    );
  });

  it('names the active campaigns a new one would share repos with', async () => {
    assert.deepStrictEqual((await f.server.request(CampaignOverlapRequest, {})).campaigns, []);
    const camp = await f.server.request(CampaignStartRequest, { name: 'first' });
    const { repos, campaigns } = await f.server.request(CampaignOverlapRequest, {});
    assert.strictEqual(repos.length, 3);
    assert.deepStrictEqual(campaigns, [{ id: camp.id, name: 'first', shared: f.repos.map((r) => r.dir).sort() }]);
  });
});
