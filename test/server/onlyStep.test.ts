import * as assert from 'assert';
import { CampaignRunRequest, CampaignStartRequest, RollbackExecuteRequest, RollbackPreviewRequest } from '../../server/src/protocol';
import { serverFixture, writeFileCommand } from './serverKit';

/** `codecontext/rollback/preview` with `onlyStep` (issue 23, item 3): what the history panel's "Revert This Step…" will send. */
describe('server: undo one step', () => {
  const f = serverFixture((kit) => kit.workspace(2, { 'a.txt': 'a\n', 'b.txt': 'b\n' }));

  it('previews step 1 alone in replay mode, executes it, and keeps step 2', async () => {
    const camp = (await f.server.request(CampaignStartRequest, { name: 'two' })).id;
    await f.server.request(CampaignRunRequest, { campaign: camp, command: writeFileCommand('a.txt', 'a by step 1\n') });
    await f.server.request(CampaignRunRequest, { campaign: camp, command: writeFileCommand('b.txt', 'b by step 2\n') });
    const preview = await f.server.request(RollbackPreviewRequest, { campaign: camp, onlyStep: 1 });
    assert.deepStrictEqual([preview.mode, preview.target.onlyStep, preview.totals.files, preview.totals.conflicts], ['replay', 1, 2, 0]);
    const { record } = await f.server.request(RollbackExecuteRequest, { plan: preview.hash });
    assert.strictEqual(record.outcome, 'committed');
    for (const r of f.repos) assert.deepStrictEqual([r.read('a.txt').toString(), r.read('b.txt').toString()], ['a\n', 'b by step 2\n']);
    const bad = await f.server.error(RollbackPreviewRequest, { campaign: camp, onlyStep: 1, mode: 'restore' });
    assert.match(bad.message, /--only-step undoes one step by replay/);
  });
});
