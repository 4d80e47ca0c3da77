import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { checkpointCampaign, startCampaign } from '../../server/src/engine/campaign/campaign';
import { gitProcessCount } from '../../server/src/engine/git/gitRunner';
import { planRollback } from '../../server/src/engine/rollback/plan/plan';
import { executeRollback } from '../../server/src/engine/rollback/tx/transaction';
import { loadSnapshot } from '../../server/src/engine/snapshot/snapshot';
import { Store } from '../../server/src/engine/store/store';
import { plumbingFloor } from '../bench/baselines';
import { floorIO, floorProcs, planFloors, prepareFloorIO } from '../bench/floors';
import { applyCampaign, generateWorkspace } from '../bench/workspace';
import { sha256 } from '../../server/src/engine/util/canonical';
import { RepoKit, gitEnv, listFiles } from '../helpers/repoKit';

const repos = 4;
// the campaign edits files 0 to 6 of src/mod0
const files = 8;
const parallelism = 2;

/**
 * The bench's floors are measured against ours, so each must do all of ours' work: on the bench's
 * own workspace and campaign, each leaves every repo exactly as our rollback does.
 */
describe("the bench's floors restore what ours restores", () => {
  const kit = RepoKit.forSuite();

  /** Everything a user could tell apart: bytes and modes, the index, HEAD and the branch, status with ignored files. */
  function state(repo: string, home: string) {
    const env = { ...gitEnv, HOME: home, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: path.join(home, 'gitconfig'), GIT_OPTIONAL_LOCKS: '0' };
    const run = (args: string[], extra: Record<string, string> = {}) =>
      execFileSync('git', args, { cwd: repo, env: { ...env, ...extra }, encoding: 'utf8', maxBuffer: 1 << 26 });
    // write-tree from a copy, so looking does not rewrite the index (its cache-tree) under test
    const copy = path.join(home, `index-${path.basename(repo)}`);
    fs.copyFileSync(path.join(repo, '.git', 'index'), copy);
    return {
      // mode and a digest of the bytes: a difference reads as a path, not as pages of base64
      files: Object.fromEntries(Object.entries(listFiles(repo)).map(([k, v]) => [k, `${v.slice(0, 2)}${sha256(v.slice(2))}`])),
      staged: run(['ls-files', '-s']),
      indexTree: run(['write-tree'], { GIT_INDEX_FILE: copy }).trim(),
      head: run(['symbolic-ref', 'HEAD']).trim(),
      commit: run(['rev-parse', 'HEAD']).trim(),
      branch: run(['rev-parse', 'refs/heads/main']).trim(),
      status: run(['status', '--porcelain=v2', '--ignored', '-z']),
    };
  }

  it('floorRecipe, floorProcs and floorIO each leave every repo as our rollback does', async () => {
    const base = kit.tempDir('cc-floors-');
    const home = kit.tempDir('cc-floors-home-');
    fs.writeFileSync(path.join(home, 'gitconfig'), '');
    /** A fresh workspace (the generator is deterministic: the same commits each time), its campaign applied and checkpointed. */
    const fresh = async (name: string) => {
      const store = new Store(path.join(base, `store-${name}`));
      const ctx = { store, parallelism };
      const ws = await generateWorkspace(path.join(base, name), repos, files, parallelism);
      const campaign = await startCampaign(ctx, name, [ws.root]);
      const baseline = await loadSnapshot(store, campaign.baseline);
      await applyCampaign(ws, parallelism);
      const { step } = await checkpointCampaign(ctx, campaign.id, { message: 'campaign' });
      return { ctx, ws, campaign, baseline, campaignState: await loadSnapshot(store, step.snapshot) };
    };
    const states = (ws: { repos: string[] }) => ws.repos.map((r) => state(r, home));
    /** Field by field, repo by repo, so a failure names what the floor left different. */
    const same = (floor: string, actual: ReturnType<typeof states>, expected: ReturnType<typeof states>) => {
      for (let i = 0; i < repos; i++)
        for (const k of Object.keys(expected[i]) as (keyof (typeof expected)[number])[])
          assert.deepStrictEqual(actual[i][k], expected[i][k], `${floor} left ${k} of repo ${i} different from ours`);
    };

    const ours = await fresh('ours');
    const before = states(ours.ws);
    await executeRollback(ours.ctx, await planRollback(ours.ctx, { campaign: ours.campaign.id }));
    const expected = states(ours.ws);
    for (let i = 0; i < repos; i++) assert.notDeepStrictEqual(expected[i], before[i], `our rollback changed ${ours.ws.repos[i]}`);

    const recipe = await fresh('recipe');
    await plumbingFloor(recipe.baseline, parallelism);
    same('floorRecipe', states(recipe.ws), expected);

    const procs = await fresh('procs');
    const procsPlans = await planFloors(procs.campaignState, procs.baseline, parallelism);
    const started = gitProcessCount();
    await floorProcs(procsPlans, parallelism, path.join(base, 'procs.journal'));
    assert.strictEqual(gitProcessCount() - started, repos, 'floorProcs starts one git process per repo');
    same('floorProcs', states(procs.ws), expected);

    const io = await fresh('io');
    const plans = await planFloors(io.campaignState, io.baseline, parallelism);
    const inputs = await prepareFloorIO(plans, parallelism);
    await floorIO(plans, inputs, parallelism, path.join(base, 'io.journal'));
    same('floorIO', states(io.ws), expected);
  });
});
