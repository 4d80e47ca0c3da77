import * as assert from 'assert';
import * as fs from 'fs';
import { startCampaign } from '../../server/src/engine/campaign/campaign';
import { compareWithNow } from '../../server/src/engine/rollback/plan/drift';
import { planRollback } from '../../server/src/engine/rollback/plan/plan';
import { resolveTarget } from '../../server/src/engine/rollback/plan/target';
import { executeRollback } from '../../server/src/engine/rollback/tx/transaction';
import { createSnapshot, listSnapshots, loadSnapshot } from '../../server/src/engine/snapshot/snapshot';
import { Store } from '../../server/src/engine/store/store';
import { RepoKit } from '../helpers/repoKit';
import { refused } from '../helpers/refused';

/** Issue 15, point 19: the words given to a snapshot of unchanged repos are kept, sealed, and found. */
describe('snapshot notes (engine)', function () {
  const kit = new RepoKit();
  let store: Store;

  beforeEach(() => {
    store = new Store(kit.tempDir('cc-store-'));
  });
  afterEach(() => kit.cleanup());

  it('the same states give the same snapshot; a new message becomes a sealed note, the same one adds nothing', async () => {
    const repo = kit.repo(kit.tempDir());
    const first = await createSnapshot(store, [repo.dir], { message: 'nightly 1' });
    assert.strictEqual(first.reused, undefined);
    const second = await createSnapshot(store, [repo.dir], { message: 'before lunch' });
    assert.strictEqual(second.id, first.id);
    assert.strictEqual(second.reused, true);
    await createSnapshot(store, [repo.dir], { message: 'before lunch' });
    await createSnapshot(store, [repo.dir]); // no words: nothing to keep
    const loaded = await loadSnapshot(store, first.id);
    assert.strictEqual(loaded.message, 'nightly 1');
    assert.deepStrictEqual(
      loaded.notes?.map((n) => n.message),
      ['before lunch'],
    );
    assert.deepStrictEqual(
      (await listSnapshots(store))[0].notes?.map((n) => n.message),
      ['before lunch'],
    );

    // a note is covered by the seal like every other word
    const file = store.path('snapshots', `${first.id}.json`);
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('before lunch', 'after lunch'));
    await refused(loadSnapshot(store, first.id), 'TamperedManifest');
  });

  it('a campaign started on unchanged repos notes its baseline on the snapshot, and a rollback to that snapshot knows the campaign', async () => {
    const root = kit.tempDir();
    const repo = kit.repo(`${root}/one`);
    const mine = await createSnapshot(store, [repo.dir], { message: 'mine' });
    const campaign = await startCampaign({ store }, 'codemod', [root]);
    assert.strictEqual(campaign.baseline, mine.id, 'the baseline is the same states');
    const target = await resolveTarget(store, { snapshot: mine.id });
    assert.strictEqual(target.campaign?.id, campaign.id);
    assert.strictEqual(target.checkpoint, 0);
    assert.strictEqual(target.label, 'mine', 'named as the lists name it, not by its id');
  });

  it("a rollback's safety snapshot of states already saved is a note on that snapshot; compare says what a rollback would change", async () => {
    const repo = kit.repo(kit.tempDir());
    const before = await createSnapshot(store, [repo.dir], { message: 'before' });
    repo.write('README.md', 'changed\n');
    const after = await createSnapshot(store, [repo.dir], { message: 'after' });
    const [toBefore, toAfter] = await compareWithNow({ store }, [before.id, after.id]);
    assert.deepStrictEqual([toBefore.totals, toAfter.totals.reposChanged], [{ reposChanged: 1, files: 1, drift: 0, unsaved: 0, problems: 0 }, 0]);
    const record = await executeRollback({ store }, await planRollback({ store }, { snapshot: before.id }));
    assert.strictEqual(record.safetySnapshot, after.id);
    const noted = await loadSnapshot(store, after.id);
    assert.deepStrictEqual(
      noted.notes?.map((n) => n.message),
      [`safety snapshot before ${record.id}`],
    );
  });
});
