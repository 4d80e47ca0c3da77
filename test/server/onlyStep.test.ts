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

  it('one step in one file of one repo: what campaign blame\'s "Revert This Step in This File…" previews', async () => {
    const lines = (edit: (n: number) => string | undefined) => Array.from({ length: 10 }, (_, i) => `${edit(i + 1) ?? i + 1}\n`).join('');
    for (const r of f.repos)
      r.write(
        'c.txt',
        lines(() => undefined),
      );
    const camp = (await f.server.request(CampaignStartRequest, { name: 'one-file' })).id;
    const step1 = lines((n) => (n === 2 ? 'two by step 1' : undefined));
    const step3 = lines((n) => (n === 2 ? 'two by step 1' : n === 9 ? 'nine by step 3' : undefined));
    await f.server.request(CampaignRunRequest, { campaign: camp, command: writeFileCommand('c.txt', step1) });
    await f.server.request(CampaignRunRequest, { campaign: camp, command: writeFileCommand('d.txt', 'd by step 2\n') });
    await f.server.request(CampaignRunRequest, { campaign: camp, command: writeFileCommand('c.txt', step3) });
    const [one, other] = f.repos;
    // step 1's line goes, in that file of that repo alone; step 3's line, step 2's file and the other repo stay
    const preview = await f.server.request(RollbackPreviewRequest, { campaign: camp, onlyStep: 1, repos: [one.dir], files: { [one.dir]: ['c.txt'] } });
    assert.deepStrictEqual([preview.mode, preview.totals.files, preview.totals.conflicts, preview.repos.map((r) => r.path)], ['replay', 1, 0, [one.dir]]);
    const { record } = await f.server.request(RollbackExecuteRequest, { plan: preview.hash, files: { [one.dir]: ['c.txt'] } });
    assert.strictEqual(record.outcome, 'committed');
    assert.strictEqual(
      one.read('c.txt').toString(),
      lines((n) => (n === 9 ? 'nine by step 3' : undefined)),
    );
    assert.strictEqual(one.read('d.txt').toString(), 'd by step 2\n');
    assert.deepStrictEqual([other.read('c.txt').toString(), other.read('d.txt').toString()], [step3, 'd by step 2\n']);
  });
});
