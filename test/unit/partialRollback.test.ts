import * as assert from 'assert';
import * as path from 'path';
import { checkpointCampaign, startCampaign } from '../../server/src/engine/campaign/campaign';
import { planRollback } from '../../server/src/engine/rollback/plan/plan';
import { Store } from '../../server/src/engine/store/store';
import { executeRollback } from '../../server/src/engine/rollback/tx/transaction';
import { RepoKit } from '../helpers/repoKit';

/** `--path` and `--repo` limit a rollback: only matching files move, and HEAD stays where it is. */
describe('partial rollback (--path, --repo)', () => {
  const kit = RepoKit.forSuite();

  async function committedCampaign() {
    const root = kit.tempDir();
    const a = kit.repo(path.join(root, 'a'), { 'src/x.ts': 'x1\n', 'src/y.ts': 'y1\n', 'docs/d.md': 'd1\n' });
    const b = kit.repo(path.join(root, 'b'), { 'src/x.ts': 'x1\n' });
    const store = new Store(kit.tempDir('cc-store-'));
    const camp = await startCampaign({ store }, 'partial', [root]);
    for (const r of [a, b]) {
      r.write('src/x.ts', 'x2\n').write('src/y.ts', 'y2\n').write('docs/d.md', 'd2\n');
      r.commitAll('campaign');
    }
    await checkpointCampaign({ store }, camp.id);
    return { a, b, store, camp };
  }

  for (const mode of ['restore', 'replay'] as const) {
    it(`${mode}: only files matching --path go back, HEAD and the other files stay`, async () => {
      const { a, b, store, camp } = await committedCampaign();
      const headA = a.head();
      const plan = await planRollback({ store }, { campaign: camp.id, mode, paths: ['src/x.ts'], repos: [a.dir] });
      assert.deepStrictEqual(
        plan.repos.map((r) => r.path),
        [a.dir],
      );
      await executeRollback({ store }, plan);
      assert.strictEqual(a.read('src/x.ts').toString(), 'x1\n');
      assert.strictEqual(a.read('src/y.ts').toString(), 'y2\n');
      assert.strictEqual(a.read('docs/d.md').toString(), 'd2\n');
      assert.strictEqual(a.head(), headA, 'HEAD is not moved by a path-limited rollback');
      assert.strictEqual(b.read('src/x.ts').toString(), 'x2\n', 'a repo not named by --repo is untouched');
      // the restored file is staged as it was at the target: committed content differs, so it shows as modified
      assert.match(a.git('status', '--porcelain'), /src\/x\.ts/);
    });
  }
});
