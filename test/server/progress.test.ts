import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { CancellationTokenSource } from 'vscode-jsonrpc/node';
import {
  CampaignDetailRequest,
  CampaignRunRequest,
  CampaignStartRequest,
  ErrorCodes,
  SnapshotCreateRequest,
  SnapshotListRequest,
} from '../../server/src/protocol';
import { TestRepo } from '../helpers/repoKit';
import { ProgressValue, gatedCommand, serverFixture } from './serverKit';

/** Asserts begin, reports with counts rising within each phase in the given order, then end. */
function assertOrdered(values: ProgressValue[] | undefined, phases: string[], repos: number): void {
  assert.ok(values, 'progress was reported');
  assert.strictEqual(values[0].kind, 'begin');
  assert.strictEqual(values[values.length - 1].kind, 'end');
  const reports = values.slice(1, -1);
  assert.ok(reports.every((v) => v.kind === 'report' && v.detail));
  const seen = reports.map((v) => `${v.detail!.phase} ${v.detail!.done}/${v.detail!.total}`);
  const expected = phases.flatMap((p) => Array.from({ length: repos + 1 }, (_, i) => `${p} ${i}/${repos}`));
  assert.deepStrictEqual(seen, expected);
  const percentages = reports.map((v) => v.percentage!);
  assert.deepStrictEqual(
    percentages,
    [...percentages].sort((a, b) => a - b),
    'percentage never goes back',
  );
  assert.strictEqual(percentages[percentages.length - 1], 100);
  assert.ok(reports.filter((v) => v.detail!.done > 0).every((v) => v.detail!.repo));
  // the message is for people (issue 25, item 8): "Reading the repos (2 of 3 repos)", never "capture 2/3 repo-02"
  for (const v of reports) assert.match(v.message!, new RegExp(`^[A-Z][a-z ]+ \\(${v.detail!.done} of ${repos} repos?\\)$`), v.message);
}

/** Whether anything of a snapshot was written: pin refs in the repos or manifests in the store. */
function written(store: string, repos: TestRepo[]): { refs: number; manifests: string[] } {
  const dir = path.join(store, 'snapshots');
  return {
    refs: repos.reduce((n, r) => n + r.git('for-each-ref', '--format=%(refname)', 'refs/codecontext/').split('\n').filter(Boolean).length, 0),
    manifests: fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n.endsWith('.json')) : [],
  };
}

describe('server: progress, cancellation and one operation per repo', () => {
  const f = serverFixture((kit) => kit.workspace(6), { serverProgress: true, settings: { parallelism: 1 } });

  it('reports progress in order on the token the client gave', async () => {
    await f.server.request(SnapshotCreateRequest, { workDoneToken: 'snap-1' });
    assertOrdered(f.server.progress.get('snap-1'), ['capture', 'pin'], 6);
    assert.deepStrictEqual(f.server.createdTokens, []);
  });

  it('creates a token when the client gave none', async () => {
    await f.server.request(CampaignStartRequest, { name: 'c' });
    assert.strictEqual(f.server.createdTokens.length, 1);
    assertOrdered(f.server.progress.get(f.server.createdTokens[0]), ['capture', 'pin'], 6);
  });

  it('cancel during capture: Cancelled, and no ref or manifest written', async () => {
    const cancel = new CancellationTokenSource();
    f.server.nextProgress((t, v) => t === 'snap-c' && v.detail?.phase === 'capture' && v.detail.done === 2).then(() => cancel.cancel());
    const e = await f.server.request(SnapshotCreateRequest, { workDoneToken: 'snap-c' }, cancel).then(
      () => assert.fail('the cancelled request answered'),
      (err) => err,
    );
    assert.strictEqual(e.code, ErrorCodes.Cancelled);
    assert.strictEqual(e.data.code, 'Cancelled');
    assert.deepStrictEqual(written(f.store, f.repos), { refs: 0, manifests: [] });
    assert.strictEqual(f.server.progress.get('snap-c')!.at(-1)!.kind, 'end');
    assert.deepStrictEqual((await f.server.request(SnapshotListRequest, {})).snapshots, []);
  });

  it('window/workDoneProgress/cancel on a server-created token cancels too', async () => {
    const capturing = f.server.nextProgress((_t, v) => v.detail?.phase === 'capture' && v.detail.done === 1);
    const create = f.server.request(SnapshotCreateRequest, {}).then(
      () => assert.fail('the cancelled request answered'),
      (err) => err,
    );
    const token = await capturing;
    assert.deepStrictEqual(f.server.createdTokens, [token]);
    await f.server.rpc.sendNotification('window/workDoneProgress/cancel', { token });
    assert.strictEqual((await create).data.code, 'Cancelled');
    assert.deepStrictEqual(written(f.store, f.repos), { refs: 0, manifests: [] });
  });

  it('a second mutation on the same repos is refused as busy while reads go on', async () => {
    const camp = await f.server.request(CampaignStartRequest, { name: 'slow' });
    const gate = path.join(f.kit.tempDir('cc-gate-'), 'go');
    const started = f.server.nextProgress((t, v) => t === 'run-1' && v.kind === 'begin');
    const run = f.server.request(CampaignRunRequest, { campaign: camp.id, command: gatedCommand(gate), workDoneToken: 'run-1' });
    await started;

    const busy = await f.server.error(SnapshotCreateRequest, { repos: [f.repos[3].dir] });
    assert.strictEqual(busy.code, ErrorCodes.Busy);
    assert.strictEqual(busy.data?.running, `campaign run ${camp.id}`);
    assert.strictEqual(busy.data?.repo, f.repos[3].dir);
    assert.match(busy.message, new RegExp(`campaign run ${camp.id} is working on .*repo-03`));

    const t0 = process.hrtime.bigint();
    const list = await f.server.request(SnapshotListRequest, {});
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    assert.strictEqual(list.snapshots.length, 1);
    f.server.log.push(`snapshot/list during a run: ${ms.toFixed(1)} ms`);

    fs.writeFileSync(gate, '');
    const done = await run;
    assert.strictEqual(done.step.n, 1);
    assert.strictEqual((await f.server.request(SnapshotCreateRequest, { repos: [f.repos[3].dir] })).repos.length, 1, 'free again once the run ended');
  });

  it('cancel during a campaign run: no new command starts and no step is written', async () => {
    const camp = await f.server.request(CampaignStartRequest, { name: 'cancelled' });
    const gate = path.join(f.kit.tempDir('cc-gate-'), 'go');
    const cancel = new CancellationTokenSource();
    const started = f.server.nextProgress((t, v) => t === 'run-c' && v.kind === 'begin');
    const run = f.server.request(CampaignRunRequest, { campaign: camp.id, command: gatedCommand(gate), workDoneToken: 'run-c' }, cancel);
    await started;
    cancel.cancel();
    fs.writeFileSync(gate, '');
    const e = await run.then(
      () => assert.fail('the cancelled run answered'),
      (err) => err,
    );
    assert.strictEqual(e.data.code, 'Cancelled');
    assert.match(e.message, /no step was recorded/);
    assert.deepStrictEqual((await f.server.request(CampaignDetailRequest, { id: camp.id })).steps, []);
    const ran = f.server.progress.get('run-c')!.filter((v) => v.detail?.phase === 'run' && v.detail.done > 0);
    assert.ok(ran.length < f.repos.length, `the command ran in ${ran.length} of ${f.repos.length} repos`);
  });
});
