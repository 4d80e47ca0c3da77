// Rollback under transient lock failures: `npm run stress` (outside the fast suite).
// 200 rollbacks of 5 real repos with CODECONTEXT_FAULTS=lock-flaky=0.05 (each attempt at a lock fails
// as if held with probability 5 %). Rollbacks alternate between a campaign's baseline and its
// checkpoint, so each starts where the previous one ended; every one must commit and leave every
// repo exactly in its target state. Prints the count and the retries; exits 1 on any failure.
//   node scripts/stress.mjs [--count 200] [--repos 5] [--flaky 0.05]
import { createRequire } from 'module';
import * as path from 'path';
import { isDeepStrictEqual, parseArgs } from 'util';

const require = createRequire(import.meta.url);
const out = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../out');
const { RepoKit, changeEveryKind, fingerprints, seedEveryKind } = require(`${out}/test/helpers/repoKit.js`);
const { startCampaign, checkpointCampaign } = require(`${out}/server/src/engine/campaign/campaign.js`);
const { planRollback } = require(`${out}/server/src/engine/rollback/plan.js`);
const { executeRollback } = require(`${out}/server/src/engine/rollback/transaction.js`);
const { Store } = require(`${out}/server/src/engine/store/store.js`);

const { values } = parseArgs({ options: { count: { type: 'string', default: '200' }, repos: { type: 'string', default: '5' }, flaky: { type: 'string', default: '0.05' } } });
const count = Number(values.count);
const repoCount = Number(values.repos);

const kit = new RepoKit();
try {
  const template = seedEveryKind(kit.repo(path.join(kit.tempDir('cc-tpl-'), 'template')));
  const { root, repos } = kit.copies(template, repoCount);
  const ctx = { store: new Store(kit.tempDir('cc-store-')) };
  const campaign = await startCampaign(ctx, 'stress', [root]);
  const baseline = fingerprints(repos);
  repos.forEach((r, i) => changeEveryKind(r, i % 2 === 0));
  const { step } = await checkpointCampaign(ctx, campaign.id);
  const checkpoint = fingerprints(repos);
  // ignored files are never touched: app.log keeps what the campaign wrote, whatever the target
  for (const r of repos) baseline[r.dir].files['app.log'] = checkpoint[r.dir].files['app.log'];
  const targets = [
    { spec: { campaign: campaign.id }, expected: baseline, name: 'baseline' },
    { spec: { snapshot: step.snapshot }, expected: checkpoint, name: 'checkpoint' },
  ];

  process.env.CODECONTEXT_FAULTS = `lock-flaky=${values.flaky}`;
  const started = Date.now();
  let committed = 0;
  let retries = 0;
  let retriedRollbacks = 0;
  const failures = [];
  for (let i = 0; i < count; i++) {
    const t = targets[i % 2];
    try {
      const record = await executeRollback(ctx, await planRollback(ctx, t.spec));
      const r = record.phases.reduce((n, p) => n + p.retries, 0);
      retries += r;
      if (r) retriedRollbacks++;
      if (!isDeepStrictEqual(fingerprints(repos), t.expected)) throw new Error(`not exactly at the ${t.name} after ${record.id}`);
      committed++;
    } catch (e) {
      failures.push(`#${i + 1} (to ${t.name}): ${e.message}`);
      break; // the next rollback would start from an unknown place
    }
    if ((i + 1) % 20 === 0) process.stderr.write(`${i + 1}/${count}…\n`);
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`${committed}/${count} rollbacks of ${repoCount} repos committed, each exactly at its target, with lock-flaky=${values.flaky}`);
  console.log(`lock retries: ${retries} in all, in ${retriedRollbacks} rollbacks; failures: ${failures.length}; ${seconds} s`);
  for (const f of failures) console.log(`FAILED ${f}`);
  process.exitCode = committed === count ? 0 : 1;
} finally {
  kit.cleanup();
}
