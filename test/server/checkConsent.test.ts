import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import {
  CampaignRunRequest,
  CampaignStartRequest,
  ErrorCodes,
  RollbackExecuteRequest,
  RollbackPreviewRequest,
  RollbackUndoRequest,
} from '../../server/src/protocol';
import { Fixture, serverFixture, writeFileCommand } from './serverKit';

/** A command that appends its tag to `ran.log` beside the repos (it runs in the repo): proof that it ran. */
const marking = (tag: string) => `node -e "require('fs').appendFileSync('../ran.log', '${tag};')"`;

async function campaignWithOneStep(f: Fixture): Promise<string> {
  const camp = await f.server.request(CampaignStartRequest, { name: 'rewrite' });
  await f.server.request(CampaignRunRequest, { campaign: camp.id, command: writeFileCommand('README.md', 'rewritten\n') });
  return camp.id;
}

/** Issue 21 item 4 over JSON-RPC: execute runs a repo's own check only when the request names it. */
describe("server: a repo's own check needs the consent the request carries", () => {
  const f = serverFixture((kit) => {
    const root = kit.tempDir('cc-ws-');
    const repos = ['a', 'b'].map((n) => kit.repo(path.join(root, n), { 'README.md': `${n}\n`, '.codecontext.json': JSON.stringify({ check: marking(n) }) }));
    return { root, repos };
  });
  const ran = () => {
    const file = path.join(f.root, 'ran.log');
    return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split(';').filter(Boolean).sort() : [];
  };

  it('the preview lists the repo checks; execute without consent is refused with ChecksNeedConsent, nothing run, changed or journaled', async () => {
    const camp = await campaignWithOneStep(f);
    const before = f.repos.map((r) => r.fingerprint());
    const preview = await f.server.request(RollbackPreviewRequest, { campaign: camp });
    assert.deepStrictEqual(preview.repoChecks, [
      { repo: f.repos[0].dir, command: marking('a') },
      { repo: f.repos[1].dir, command: marking('b') },
    ]);
    const e = await f.server.error(RollbackExecuteRequest, { plan: preview.hash });
    assert.strictEqual(e.code, ErrorCodes.ChecksNeedConsent);
    assert.strictEqual(e.data?.code, 'ChecksNeedConsent');
    assert.deepStrictEqual(e.data?.checks, preview.repoChecks);
    assert.ok(e.message.includes(marking('a')), e.message);
    // consent to one of the two is not consent to the other
    const half = await f.server.error(RollbackExecuteRequest, { plan: preview.hash, repoChecks: [preview.repoChecks[0]] });
    assert.strictEqual(half.code, ErrorCodes.ChecksNeedConsent);
    assert.deepStrictEqual(half.data?.checks, [preview.repoChecks[1]]);
    // consent to another command in that repo is not consent to this one
    const other = await f.server.error(RollbackExecuteRequest, {
      plan: preview.hash,
      repoChecks: preview.repoChecks.map((c) => ({ repo: c.repo, command: c.command + ' ' })),
    });
    assert.strictEqual(other.code, ErrorCodes.ChecksNeedConsent);
    assert.deepStrictEqual(ran(), []);
    assert.deepStrictEqual(
      f.repos.map((r) => r.fingerprint()),
      before,
    );
    assert.strictEqual(fs.existsSync(path.join(f.store, 'journal')) ? fs.readdirSync(path.join(f.store, 'journal')).length : 0, 0);

    // skipRepoChecks (an untrusted workspace): rolled back, no check run, the skipped ones named
    const skipped = await f.server.request(RollbackExecuteRequest, { plan: preview.hash, skipRepoChecks: true });
    assert.strictEqual(skipped.record.outcome, 'committed');
    assert.deepStrictEqual(skipped.skippedChecks, preview.repoChecks);
    assert.deepStrictEqual(ran(), []);
    for (const r of f.repos) assert.strictEqual(r.read('README.md').toString(), `${path.basename(r.dir)}\n`);
  });

  it('consented in the request: run, recorded in the store, and run again by the undo; consent stored earlier alone does not do', async () => {
    const camp = await campaignWithOneStep(f);
    const preview = await f.server.request(RollbackPreviewRequest, { campaign: camp });
    const { record } = await f.server.request(RollbackExecuteRequest, { plan: preview.hash, repoChecks: preview.repoChecks });
    assert.strictEqual(record.outcome, 'committed');
    assert.deepStrictEqual(ran(), ['a', 'b']);
    const consent = JSON.parse(fs.readFileSync(path.join(f.store, 'consent', 'repoChecks.json'), 'utf8'));
    assert.strictEqual(consent.checks.length, 2);

    const undo = await f.server.request(RollbackUndoRequest, { rollback: record.id });
    assert.strictEqual(undo.record.outcome, 'committed');
    assert.deepStrictEqual(ran(), ['a', 'a', 'b', 'b'], 'the undo ran what the rollback ran');

    // the store's consent is the CLI's; the extension asks (workspace trust, a modal) every time
    const again = await f.server.request(RollbackPreviewRequest, { campaign: camp });
    const refused = await f.server.error(RollbackExecuteRequest, { plan: again.hash });
    assert.strictEqual(refused.code, ErrorCodes.ChecksNeedConsent);
  });

  it('an undo does not run a check the campaign wrote and the rollback did not run', async () => {
    const camp = await f.server.request(CampaignStartRequest, { name: 'bot' });
    await f.server.request(CampaignRunRequest, {
      campaign: camp.id,
      command: writeFileCommand('.codecontext.json', JSON.stringify({ check: marking('bot') })),
    });
    const preview = await f.server.request(RollbackPreviewRequest, { campaign: camp.id });
    // the rollback leaves the repos' own config: their own checks, not the bot's
    assert.deepStrictEqual(
      preview.repoChecks.map((c) => c.command),
      [marking('a'), marking('b')],
    );
    const { record } = await f.server.request(RollbackExecuteRequest, { plan: preview.hash, skipRepoChecks: true });
    const undo = await f.server.request(RollbackUndoRequest, { rollback: record.id });
    assert.strictEqual(undo.record.outcome, 'committed');
    assert.deepStrictEqual(
      undo.skippedChecks?.map((c) => c.command),
      [marking('bot'), marking('bot')],
    );
    assert.deepStrictEqual(ran(), []);
    assert.strictEqual(f.repos[0].read('.codecontext.json').toString(), JSON.stringify({ check: marking('bot') }));
  });
});
