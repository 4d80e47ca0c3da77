import * as assert from 'assert';
import { CancellationTokenSource } from 'vscode-jsonrpc/node';
import {
  CampaignDetailRequest,
  CampaignRunRequest,
  CampaignStartRequest,
  ErrorCodes,
  EvidenceReportRequest,
  EvidenceRequest,
  EvidenceVerifyRequest,
  ReposListRequest,
  RollbackDetailRequest,
  RollbackExecuteRequest,
  RollbackFileDiffRequest,
  RollbackListRequest,
  RollbackPlanFilesRequest,
  RollbackDriftRequest,
  RollbackPreviewRequest,
  RollbackUndoPreviewRequest,
  RollbackUndoRequest,
} from '../../server/src/protocol';
import { runCli } from '../helpers/repoKit';
import { Fixture, TestServer, serverFixture, writeFileCommand } from './serverKit';

/** A campaign whose one step rewrote README.md in every repo; returns its id. */
async function campaignWithOneStep(f: Fixture): Promise<string> {
  const camp = await f.server.request(CampaignStartRequest, { name: 'rewrite' });
  await f.server.request(CampaignRunRequest, { campaign: camp.id, command: writeFileCommand('README.md', 'rewritten\n') });
  return camp.id;
}

describe('server: rollback over JSON-RPC', () => {
  const f = serverFixture((kit) => kit.workspace(3));

  it('previews, pages files, shows a diff, executes, lists, shows evidence, and undoes', async () => {
    const camp = await campaignWithOneStep(f);
    const before = f.repos.map((r) => r.fingerprint());
    const changed = f.server.nextChange('rollbacks', 10000);

    const preview = await f.server.request(RollbackPreviewRequest, { campaign: camp });
    assert.strictEqual(preview.mode, 'restore');
    assert.deepStrictEqual(preview.totals.files, 3);
    assert.deepStrictEqual(
      preview.repos.map((r) => r.fileCount),
      [1, 1, 1],
    );
    assert.ok(!('files' in preview.repos[0]), 'files come page by page, not in the preview');

    const page = await f.server.request(RollbackPlanFilesRequest, { plan: preview.hash, offset: 1, limit: 1 });
    assert.strictEqual(page.total, 3);
    assert.deepStrictEqual(
      page.items.map((x) => [x.repo, x.path, x.change]),
      [[f.repos[1].dir, 'README.md', 'restore']],
    );
    const diff = await f.server.request(RollbackFileDiffRequest, { plan: preview.hash, repo: f.repos[1].dir, path: 'README.md' });
    assert.match(diff.patch, /-rewritten\n\+# repo\n/);

    const { record, cancelArrivedLate } = await f.server.request(RollbackExecuteRequest, { plan: preview.hash, workDoneToken: 'rb-1' });
    assert.strictEqual(record.outcome, 'committed');
    assert.strictEqual(cancelArrivedLate, false);
    for (const r of f.repos) assert.strictEqual(r.read('README.md').toString(), '# repo\n');
    await changed;

    assert.deepStrictEqual(
      (await f.server.request(RollbackListRequest, {})).rollbacks.map((r) => r.id),
      [record.id],
    );
    assert.strictEqual((await f.server.request(RollbackDetailRequest, { id: record.id })).safetySnapshot, record.safetySnapshot);
    assert.strictEqual((await f.server.request(CampaignDetailRequest, { id: camp })).status, 'rolled-back');
    const evidence = await f.server.request(EvidenceRequest, { rollback: record.id });
    assert.strictEqual(evidence.pack.planHash, preview.hash);
    assert.strictEqual((await f.server.request(EvidenceVerifyRequest, { rollback: record.id, repos: true })).ok, true);
    const report = await f.server.request(EvidenceReportRequest, { rollback: record.id });
    assert.strictEqual(report.file, evidence.file);
    assert.ok(report.reportFile?.endsWith(`evidence-${record.id}.html`), report.reportFile);
    assert.match(report.html, /^<article class="evidence-report" data-rollback="rb_[0-9a-f]+">/);

    const again = await f.server.error(RollbackExecuteRequest, { plan: preview.hash });
    assert.strictEqual(again.code, ErrorCodes.UnknownId, 'a plan runs once');

    const undo = await f.server.request(RollbackUndoRequest, { rollback: record.id });
    assert.strictEqual(undo.record.undoOf, record.id);
    assert.deepStrictEqual(
      f.repos.map((r) => r.fingerprint()),
      before,
    );
  });

  it("an undo's preview keeps its plan: its files and diffs name the user's later edit, it never runs as a rollback, and the undo still runs", async () => {
    const camp = await campaignWithOneStep(f);
    const preview = await f.server.request(RollbackPreviewRequest, { campaign: camp });
    const { record } = await f.server.request(RollbackExecuteRequest, { plan: preview.hash });
    const [mine, other] = f.repos;
    mine.write('README.md', 'my edit\n');

    const undo = await f.server.request(RollbackUndoPreviewRequest, { rollback: record.id });
    assert.deepStrictEqual(undo.edited, [{ repo: mine.dir, files: ['README.md'], other: [] }]);
    const files = await f.server.request(RollbackPlanFilesRequest, { plan: undo.plan });
    assert.deepStrictEqual(
      files.items.map((x) => [x.repo, x.path, x.change]),
      f.repos.map((r) => [r.dir, 'README.md', 'restore']),
    );
    const lost = await f.server.request(RollbackFileDiffRequest, { plan: undo.plan, repo: mine.dir, path: 'README.md' });
    assert.match(lost.patch, /-my edit\n\+rewritten\n/);
    const back = await f.server.request(RollbackFileDiffRequest, { plan: undo.plan, repo: other.dir, path: 'README.md' });
    assert.match(back.patch, /-# repo\n\+rewritten\n/);
    const leave = await f.server.request(RollbackUndoPreviewRequest, { rollback: record.id, keepEdits: 'leave' });
    assert.notStrictEqual(leave.plan, undo.plan);
    assert.deepStrictEqual(
      (await f.server.request(RollbackPlanFilesRequest, { plan: leave.plan })).items.map((x) => x.repo),
      f.repos.slice(1).map((r) => r.dir),
      'left out, the edited file is not in the plan',
    );

    const refused = await f.server.error(RollbackExecuteRequest, { plan: undo.plan, force: true });
    assert.strictEqual(refused.data?.code, 'Usage', refused.message);
    assert.match(refused.message, /an undo's preview: undo the rollback instead/);
    assert.strictEqual(mine.read('README.md').toString(), 'my edit\n', 'nothing changed');

    const done = await f.server.request(RollbackUndoRequest, { rollback: record.id, keepEdits: 'leave' });
    assert.strictEqual(done.record.outcome, 'committed');
    assert.strictEqual(mine.read('README.md').toString(), 'my edit\n');
    assert.strictEqual(other.read('README.md').toString(), 'rewritten\n');
  });

  it('cancel before commit → Cancelled and nothing changed', async () => {
    const camp = await campaignWithOneStep(f);
    const before = f.repos.map((r) => r.fingerprint());
    const preview = await f.server.request(RollbackPreviewRequest, { campaign: camp });
    const cancel = new CancellationTokenSource();
    cancel.cancel(); // arrives before prepare has locked anything
    const e = await f.server.request(RollbackExecuteRequest, { plan: preview.hash }, cancel).then(
      () => assert.fail('the cancelled rollback answered'),
      (err) => err,
    );
    assert.strictEqual(e.data.code, 'Cancelled');
    assert.match(e.message, /nothing was changed/);
    assert.deepStrictEqual(
      f.repos.map((r) => r.fingerprint()),
      before,
    );
  });

  it('drift and conflicts are refusals with their code', async () => {
    const camp = await campaignWithOneStep(f);
    f.repos[0].write('README.md', 'edited by someone else\n');
    const preview = await f.server.request(RollbackPreviewRequest, { campaign: camp, step: 1 });
    assert.strictEqual(preview.totals.drift, 1);
    const listed = await f.server.request(RollbackListRequest, {});
    const e = await f.server.error(RollbackExecuteRequest, { plan: preview.hash });
    assert.strictEqual(e.code, ErrorCodes.Drift);
    assert.strictEqual(e.data?.repo, f.repos[0].dir);
    // a refusal is decided before anything is journaled: no rollback, no record, no evidence
    assert.strictEqual(e.data?.outcome, undefined);
    assert.strictEqual(e.data?.rollback, undefined);
    assert.match(e.message, /nothing was changed/);
    assert.deepStrictEqual(await f.server.request(RollbackListRequest, {}), listed);
  });

  it('drift for a status mark: the cheap request names the drifted file and keeps no plan', async () => {
    const camp = await campaignWithOneStep(f);
    f.repos[1].write('README.md', 'edited by someone else\n');
    const { repos } = await f.server.request(RollbackDriftRequest, { campaign: camp });
    assert.deepStrictEqual(
      repos.filter((r) => r.drift.length).map((r) => [r.repo, r.drift]),
      [[f.repos[1].dir, [{ kind: 'file', path: 'README.md', label: 'README.md' }]]],
    );
  });

  it('a rolling check from the preview: one that fails is CheckFailed, naming the repo, and nothing changed; shell syntax is refused first', async () => {
    const camp = await campaignWithOneStep(f);
    const before = f.repos.map((r) => r.read('README.md').toString());
    const preview = await f.server.request(RollbackPreviewRequest, { campaign: camp });
    const refusedSyntax = await f.server.error(RollbackExecuteRequest, { plan: preview.hash, check: 'make test && echo ok' });
    assert.match(refusedSyntax.message, /without a shell/);
    const e = await f.server.error(RollbackExecuteRequest, { plan: preview.hash, check: 'sh -c "exit 7"' });
    assert.strictEqual(e.code, ErrorCodes.CheckFailed);
    assert.match(e.message, /the check `sh -c "exit 7"` failed \(exit 7\)/);
    assert.ok(f.repos.some((r) => r.dir === e.data?.repo));
    assert.deepStrictEqual(
      f.repos.map((r) => r.read('README.md').toString()),
      before,
    );
  });
});

describe('server: a 50-repo rollback', () => {
  const f = serverFixture((kit) => kit.workspace(50));

  it('reports prepare, commit and verify for every repo, in order', async () => {
    const camp = await campaignWithOneStep(f);
    const preview = await f.server.request(RollbackPreviewRequest, { campaign: camp, workDoneToken: 'plan-50' });
    const t0 = Date.now();
    const { record } = await f.server.request(RollbackExecuteRequest, { plan: preview.hash, workDoneToken: 'rb-50' });
    f.server.log.push(`50-repo rollback: ${Date.now() - t0} ms`);
    assert.strictEqual(record.outcome, 'committed');
    const values = f.server.progress.get('rb-50')!;
    assert.strictEqual(values[0].kind, 'begin');
    assert.strictEqual(values.at(-1)!.kind, 'end');
    const seen = values.slice(1, -1).map((v) => `${v.detail!.phase} ${v.detail!.done}`);
    const expected = ['prepare', 'commit', 'verify'].flatMap((p) => Array.from({ length: 51 }, (_, i) => `${p} ${i}`));
    assert.deepStrictEqual(seen, expected);
    assert.strictEqual(f.server.progress.get('plan-50')!.filter((v) => v.detail?.phase === 'plan').length, 51);
  });
});

describe('server: cancel once commit has begun', () => {
  const f = serverFixture((kit) => kit.workspace(20));

  it('the rollback completes (never half), says the cancel came late, and every repo is at the target', async () => {
    const camp = await campaignWithOneStep(f);
    const preview = await f.server.request(RollbackPreviewRequest, { campaign: camp });
    const cancel = new CancellationTokenSource();
    const committing = f.server.nextProgress((token, v) => token === 'rb-late' && v.detail?.phase === 'commit' && v.detail.done >= 1);
    const running = f.server.request(RollbackExecuteRequest, { plan: preview.hash, workDoneToken: 'rb-late' }, cancel);
    await committing;
    cancel.cancel();
    const { record, cancelArrivedLate } = await running;
    assert.strictEqual(record.outcome, 'committed');
    assert.strictEqual(cancelArrivedLate, true);
    for (const r of f.repos) assert.strictEqual(r.read('README.md').toString(), '# repo\n', r.dir);
  });
});

describe('server: recovery at start', () => {
  const f = serverFixture((kit) => kit.workspace(4));

  it('recovers a rollback the CLI left unfinished (killed mid-commit) and says so', async () => {
    const camp = await campaignWithOneStep(f);
    const before = f.repos.map((r) => r.fingerprint());
    await f.server.stop();

    const crashed = runCli(['rollback', '--campaign', camp, '--parallel', '1'], { store: f.store, env: { CODECONTEXT_FAULTS: 'crash-after-commit=2' } });
    assert.notStrictEqual(crashed.status, 0, 'the CLI was killed');
    assert.notDeepStrictEqual(
      f.repos.map((r) => r.fingerprint()),
      before,
      'half of the repos were rolled back',
    );

    f.server = await TestServer.start({ folders: [f.root], store: f.store });
    await f.server.request(ReposListRequest, {}); // answered only after recovery
    assert.strictEqual(f.server.recovered.length, 1);
    const [report] = f.server.recovered[0].reports;
    assert.strictEqual(report.action, 'returned-to-safety');
    assert.deepStrictEqual(
      f.repos.map((r) => r.fingerprint()),
      before,
      'every repo is back where it was',
    );
  });
});
