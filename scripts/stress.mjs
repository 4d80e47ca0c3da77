// The seed's success-rate claim, measured: `npm run stress` (outside the fast suite).
// N rollbacks of M real repos (default 400 × 50 = 20,000 repo-rollbacks) with transient faults
// injected: a held lock (each lock attempt fails as if held, 2 %), EBUSY on a file or index rename
// (1 %), and a slow journal fsync (+2 ms each). Rollbacks alternate between a campaign's baseline
// and its checkpoint. After each one, every repo is checked byte for byte: at the target when the
// rollback committed, else wholly where it started (its safety snapshot). Prints the success rate
// (every retry counted) and the bytes lost; exits 1 on any loss or a rate below 100 %.
//   node scripts/stress.mjs [--count 400] [--repos 50] [--flaky 0.02] [--ebusy 0.01] [--slow-fsync 2]
import { createRequire } from 'module';
import * as path from 'path';
import { isDeepStrictEqual, parseArgs } from 'util';

const require = createRequire(import.meta.url);
const out = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../out');
const { RepoKit, changeEveryKind, fingerprints, seedEveryKind } = require(`${out}/test/helpers/repoKit.js`);
const { startCampaign, checkpointCampaign } = require(`${out}/server/src/engine/campaign/campaign.js`);
const { planRollback } = require(`${out}/server/src/engine/rollback/plan/plan.js`);
const { executeRollback } = require(`${out}/server/src/engine/rollback/tx/transaction.js`);
const { Store } = require(`${out}/server/src/engine/store/store.js`);

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '400' },
    repos: { type: 'string', default: '50' },
    flaky: { type: 'string', default: '0.02' },
    ebusy: { type: 'string', default: '0.01' },
    'slow-fsync': { type: 'string', default: '2' },
  },
});
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

  const faults = `lock-flaky=${values.flaky},rename-ebusy=${values.ebusy},fsync-slow=${values['slow-fsync']}`;
  process.env.CODECONTEXT_FAULTS = faults;
  const started = Date.now();
  let committed = 0;
  let retries = 0;
  let retriedRollbacks = 0;
  let lost = 0;
  const failures = [];
  let at = checkpoint; // where the repos are now
  for (let i = 0, next = 0; i < count; i++) {
    const t = targets[next];
    let ok = false;
    try {
      const record = await executeRollback(ctx, await planRollback(ctx, t.spec));
      const r = record.phases.reduce((n, p) => n + p.retries, 0);
      retries += r;
      if (r) retriedRollbacks++;
      ok = true;
    } catch (e) {
      failures.push(`#${i + 1} (to ${t.name}): ${e.message}`);
    }
    // byte for byte: committed → every repo at the target; failed → every repo where it started
    const now = fingerprints(repos);
    const expected = ok ? t.expected : at;
    for (const r of repos) if (!isDeepStrictEqual(now[r.dir], expected[r.dir])) lost++;
    if (ok) {
      committed++;
      at = t.expected;
      next = 1 - next;
    }
    if ((i + 1) % 20 === 0) process.stderr.write(`${i + 1}/${count}… ${committed} committed, ${retries} retries\n`);
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const rate = ((committed / count) * 100).toFixed(2);
  console.log(
    `success rate: ${rate} % — ${committed} of ${count} rollbacks of ${repoCount} repos (${committed * repoCount} of ${count * repoCount} ` +
      `repo-rollbacks) committed, each exactly at its target`,
  );
  console.log(
    `faults: ${faults}; retries: ${retries} in all, in ${retriedRollbacks} rollbacks; repos not byte-exact on their side afterwards: ${lost}; ${seconds} s`,
  );
  for (const f of failures.slice(0, 10)) console.log(`FAILED ${f}`);
  process.exitCode = committed === count && lost === 0 ? 0 : 1;
} finally {
  kit.cleanup();
}
