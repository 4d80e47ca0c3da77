import * as assert from 'assert';
import {
  CampaignCheckpointRequest,
  CampaignStartRequest,
  ErrorCodes,
  RollbackCompareFilesRequest,
  RollbackCompareRequest,
  RollbackDetailRequest,
  RollbackDriftRequest,
  RollbackExecuteRequest,
  RollbackListRequest,
  RollbackPreviewRequest,
  RollbackUndoRequest,
  SnapshotCreateRequest,
} from '../../server/src/protocol';
import { runCli } from '../helpers/repoKit';
import { Fixture, serverFixture } from './serverKit';

// Issue 20, item 7: one rule for "this repo changes", said by the server in every result, and drift
// as a typed union with the server's words and what part of a run overwrites each edit.

const indexWords = '(index: staged changes made after the campaign)';
const headWords = (head: string) => `(HEAD moved since the campaign: refs/heads/main at ${head.slice(0, 10)})`;

describe('server: the `changed` flag (one rule for "this repo changes")', () => {
  const f = serverFixture((kit) => kit.workspace(4, { 'README.md': '# repo\n', 'NOTES.md': 'notes\n' }));

  it('a file, the index alone, HEAD alone, nothing: preview, compare, compareFiles and the records say the same', async () => {
    const snap = await f.server.request(SnapshotCreateRequest, { message: 'before' });
    const [files, index, head] = f.repos; // the fourth is left alone
    files.write('README.md', 'changed\n');
    index.git('rm', '-q', '--cached', 'NOTES.md'); // the staged state moves; the file on disk stays
    head.git('commit', '-q', '--allow-empty', '-m', 'HEAD moves, no file does');
    const expected = [true, true, true, false];

    const preview = await f.server.request(RollbackPreviewRequest, { snapshot: snap.id });
    const byRepo = f.repos.map((r) => preview.repos.find((x) => x.path === r.dir)!);
    assert.deepStrictEqual(
      byRepo.map((r) => [r.fileCount, r.indexChanged, r.headChanged, r.changed]),
      [
        [1, false, false, true],
        [0, true, false, true],
        [0, false, true, true],
        [0, false, false, false],
      ],
    );
    assert.strictEqual(preview.totals.reposChanged, 3, 'the total counts the flag');

    const { snapshots } = await f.server.request(RollbackCompareRequest, { snapshots: [snap.id] });
    const compared = f.repos.map((r) => snapshots[0].repos.find((x) => x.repo === r.dir)!);
    assert.deepStrictEqual(
      compared.map((r) => r.changed),
      expected,
    );
    assert.strictEqual(snapshots[0].totals.reposChanged, 3);
    for (const [i, r] of f.repos.entries()) {
      const page = await f.server.request(RollbackCompareFilesRequest, { snapshot: snap.id, repo: r.dir });
      assert.strictEqual(page.changed, expected[i], `compareFiles of repo ${i}`);
    }

    const { record } = await f.server.request(RollbackExecuteRequest, { plan: preview.hash });
    const recorded = (rec: { repos: { path: string; changed: boolean }[] }) => f.repos.map((r) => rec.repos.find((x) => x.path === r.dir)?.changed);
    assert.deepStrictEqual(recorded(record), expected, 'the execute result');
    assert.deepStrictEqual(recorded(await f.server.request(RollbackDetailRequest, { id: record.id })), expected, 'the detail');
    const { rollbacks } = await f.server.request(RollbackListRequest, {});
    assert.deepStrictEqual(recorded(rollbacks.find((r) => r.id === record.id)!), expected, 'the list');
    const undo = await f.server.request(RollbackUndoRequest, { rollback: record.id });
    assert.deepStrictEqual(recorded(undo.record), expected, 'the undo puts back exactly the repos the rollback changed');
  });
});

describe('server: drift as a typed union', () => {
  const f = serverFixture((kit) => kit.workspace(3, { 'README.md': '# repo\n', 'NOTES.md': 'notes\n' }));

  /** A campaign that rewrote README.md in every repo; after it: a file edited, the index changed, HEAD moved. */
  async function everyKindOfDrift(f: Fixture): Promise<{ campaign: string; movedTo: string }> {
    const camp = await f.server.request(CampaignStartRequest, { name: 'kinds' });
    for (const r of f.repos) r.write('README.md', 'rewritten\n');
    await f.server.request(CampaignCheckpointRequest, { campaign: camp.id, message: 'rewrite' });
    f.repos[0].write('README.md', 'rewritten\nmine\n');
    f.repos[1].git('rm', '-q', '--cached', 'NOTES.md');
    f.repos[2].git('commit', '-q', '--allow-empty', '-m', 'mine');
    return { campaign: camp.id, movedTo: f.repos[2].head() };
  }

  it('a file, the index, HEAD: each a kind, with the CLI’s words and what part of a run loses it; replay loses none', async () => {
    const { campaign, movedTo } = await everyKindOfDrift(f);
    const baseline = f.repos[2].git('rev-parse', 'HEAD~1').trim();
    const preview = await f.server.request(RollbackPreviewRequest, { campaign });
    const of = (i: number) => preview.repos.find((r) => r.path === f.repos[i].dir)!;
    assert.deepStrictEqual(of(0).drift, [{ kind: 'file', path: 'README.md' }]);
    assert.deepStrictEqual(of(1).drift, [{ kind: 'index' }]);
    assert.deepStrictEqual(of(2).drift, [{ kind: 'head', from: { head: baseline, ref: 'refs/heads/main' }, to: { head: movedTo, ref: 'refs/heads/main' } }]);
    assert.deepStrictEqual(
      [0, 1, 2].map((i) => of(i).edits.map((e) => [e.label, e.lostWith])),
      [[['README.md', { file: 'README.md' }]], [[indexWords, 'anyOfRepo']], [[headWords(movedTo), 'wholeRepo']]],
    );
    assert.strictEqual(preview.totals.drift, 3);

    const replay = await f.server.request(RollbackPreviewRequest, { campaign, mode: 'replay' });
    assert.deepStrictEqual(
      replay.repos.flatMap((r) => r.edits.map((e) => e.lostWith)),
      replay.repos.flatMap((r) => r.edits.map(() => 'never')),
      'replay keeps every edit',
    );

    const marks = await f.server.request(RollbackDriftRequest, { campaign });
    assert.deepStrictEqual(
      f.repos.map((r) => marks.repos.find((x) => x.repo === r.dir)?.drift.map((d) => [d.kind, d.label])),
      [[['file', 'README.md']], [['index', indexWords]], [['head', headWords(movedTo)]]],
    );
  });

  it('the refusal names the labels, and a path only when a file drifted', async () => {
    const { campaign, movedTo } = await everyKindOfDrift(f);
    const all = await f.server.request(RollbackPreviewRequest, { campaign });
    const e = await f.server.error(RollbackExecuteRequest, { plan: all.hash });
    assert.strictEqual(e.code, ErrorCodes.Drift);
    assert.deepStrictEqual([e.data?.repo, e.data?.path], [f.repos[0].dir, 'README.md']);
    for (const [i, words] of [
      [1, indexWords],
      [2, headWords(movedTo)],
    ] as const) {
      const one = await f.server.request(RollbackPreviewRequest, { campaign, repos: [f.repos[i].dir] });
      const refused = await f.server.error(RollbackExecuteRequest, { plan: one.hash });
      assert.strictEqual(refused.code, ErrorCodes.Drift);
      assert.ok(refused.message.includes(words), refused.message);
      assert.deepStrictEqual([refused.data?.repo, refused.data?.path], [f.repos[i].dir, undefined], 'no sentinel passes for a path');
    }
  });

  it('the CLI prints each kind as before: a path, the index’s words, HEAD’s words', async () => {
    const { campaign, movedTo } = await everyKindOfDrift(f);
    const r = runCli(['rollback', '--campaign', campaign, '--dry-run'], { store: f.store, cwd: f.root });
    assert.strictEqual(r.status, 0, r.stderr);
    const drift = r.stdout.split('\n').filter((l) => l.includes('DRIFT'));
    assert.deepStrictEqual(drift.map((l) => l.trim()).sort(), [`DRIFT ${headWords(movedTo)}`, `DRIFT ${indexWords}`, 'DRIFT README.md'].sort());
  });
});
