import * as fs from 'fs';
import * as assert from 'assert';
import * as path from 'path';
import {
  BlobRequest,
  CampaignChangesRequest,
  CampaignCheckpointRequest,
  CampaignDetailRequest,
  CampaignListRequest,
  CampaignRunRequest,
  CampaignStartRequest,
  ReposListRequest,
  SnapshotCreateRequest,
  SnapshotDetailRequest,
  SnapshotFilesRequest,
  SnapshotListRequest,
  SnapshotVerifyRequest,
} from '../../server/src/protocol';
import { serverFixture, writeFileCommand } from './serverKit';

describe('server: requests against real repos', () => {
  const f = serverFixture((kit) => {
    const ws = kit.workspace(3, { 'README.md': '# repo\n', 'src/a.txt': 'a\n', 'src/b.txt': 'b\n', 'src/c.txt': 'c\n' });
    kit.repo(path.join(ws.repos[0].dir, 'vendor', 'inner'));
    return ws;
  });

  it('lists the workspace repos, nested ones marked', async () => {
    const { roots, repos } = await f.server.request(ReposListRequest, {});
    assert.deepStrictEqual(roots, [f.root]);
    assert.deepStrictEqual(
      repos.map((r) => [path.relative(f.root, r.path), r.kind]),
      [
        ['repo-00', 'repo'],
        ['repo-00/vendor/inner', 'nested'],
        ['repo-01', 'repo'],
        ['repo-02', 'repo'],
      ],
    );
  });

  it('creates, lists, shows and verifies a snapshot, and pages its files', async () => {
    const created = await f.server.request(SnapshotCreateRequest, { message: 'before' });
    assert.match(created.id, /^snap_[0-9a-f]{16}$/);
    assert.strictEqual(created.repos.length, 4);

    const { snapshots } = await f.server.request(SnapshotListRequest, {});
    assert.deepStrictEqual(
      snapshots.map((s) => [s.id, s.message, s.repoCount, s.valid]),
      [[created.id, 'before', 4, true]],
    );

    const detail = await f.server.request(SnapshotDetailRequest, { id: created.id.slice(0, 9) });
    assert.deepStrictEqual(detail, created);
    assert.strictEqual(detail.repos.find((r) => r.path === f.repos[1].dir)?.head, f.repos[1].head());

    const verified = await f.server.request(SnapshotVerifyRequest, { id: created.id });
    assert.strictEqual(verified.ok, true);
    assert.strictEqual(verified.repos.length, 4);

    const repo = f.repos[1].dir;
    const first = await f.server.request(SnapshotFilesRequest, { id: created.id, repo, limit: 3 });
    const rest = await f.server.request(SnapshotFilesRequest, { id: created.id, repo, offset: 3, limit: 3 });
    assert.strictEqual(first.total, 4);
    assert.deepStrictEqual(
      [...first.items, ...rest.items].map((x) => x.path),
      ['README.md', 'src/a.txt', 'src/b.txt', 'src/c.txt'],
    );
    assert.deepStrictEqual(rest.offset, 3);
    const blob = await f.server.request(BlobRequest, { repo, blob: first.items[1].id });
    assert.strictEqual(Buffer.from(blob.base64, 'base64').toString(), 'a\n');

    // the nested repo is a gitlink in its parent's tree, not files of it
    const parent = await f.server.request(SnapshotFilesRequest, { id: created.id, repo: f.repos[0].dir, tree: 'index' });
    assert.ok(
      parent.items.every((x) => !x.path.startsWith('vendor/')),
      'untracked nested repo is not in the index tree',
    );
  });

  it('starts, runs and checkpoints a campaign, and pages its change records', async () => {
    const camp = await f.server.request(CampaignStartRequest, { name: 'rename' });
    assert.strictEqual(camp.repos.length, 4);

    const run = await f.server.request(CampaignRunRequest, { campaign: 'rename', command: writeFileCommand('src/a.txt', 'A\n') });
    assert.strictEqual(run.step.n, 1);
    assert.strictEqual(run.changeCount, 4);
    assert.deepStrictEqual(run.failed, []);

    f.repos[2].write('src/new.txt', 'new\n').remove('src/b.txt');
    const cp = await f.server.request(CampaignCheckpointRequest, { campaign: camp.id, message: 'by hand' });
    assert.strictEqual(cp.step.n, 2);
    assert.strictEqual(cp.changeCount, 2);

    const { campaigns } = await f.server.request(CampaignListRequest, {});
    assert.deepStrictEqual(
      campaigns.map((c) => [c.id, c.name, c.repoCount, c.stepCount]),
      [[camp.id, 'rename', 4, 2]],
    );
    const detail = await f.server.request(CampaignDetailRequest, { id: camp.id });
    assert.deepStrictEqual(detail.steps[0].command, writeFileCommand('src/a.txt', 'A\n'));
    assert.strictEqual(detail.steps[1].message, 'by hand');

    const page1 = await f.server.request(CampaignChangesRequest, { campaign: camp.id, step: 1, limit: 3 });
    const page2 = await f.server.request(CampaignChangesRequest, { campaign: camp.id, step: 1, offset: 3, limit: 3 });
    assert.strictEqual(page1.total, 4);
    assert.strictEqual(page1.items.length, 3);
    assert.strictEqual(page2.items.length, 1);
    assert.deepStrictEqual(
      [...page1.items, ...page2.items].map((r) => [path.relative(f.root, r.repo), r.path, r.kind, r.step]),
      [
        ['repo-00', 'src/a.txt', 'modified', 1],
        ['repo-00/vendor/inner', 'src/a.txt', 'added', 1],
        ['repo-01', 'src/a.txt', 'modified', 1],
        ['repo-02', 'src/a.txt', 'modified', 1],
      ],
    );
    assert.deepStrictEqual(
      page1.repos.map((r) => r.count),
      [1, 1, 1, 1],
    );

    const onlyRepo2 = await f.server.request(CampaignChangesRequest, { campaign: camp.id, repo: f.repos[2].dir });
    assert.deepStrictEqual(
      onlyRepo2.items.map((r) => [r.step, r.path, r.kind]),
      [
        [1, 'src/a.txt', 'modified'],
        [2, 'src/b.txt', 'deleted'],
        [2, 'src/new.txt', 'added'],
      ],
    );
    assert.strictEqual(onlyRepo2.total, 3);

    const change = page1.items[0];
    const before = await f.server.request(BlobRequest, { repo: change.repo, blob: change.oldBlob! });
    const after = await f.server.request(BlobRequest, { repo: change.repo, blob: change.newBlob! });
    assert.strictEqual(Buffer.from(before.base64, 'base64').toString(), 'a\n');
    assert.strictEqual(Buffer.from(after.base64, 'base64').toString(), 'A\n');

    // "Run Again Where It Failed" (issue 25, item 12): `repos` runs the command in those repos only, as a step of its own
    const again = await f.server.request(CampaignRunRequest, {
      campaign: camp.id,
      command: writeFileCommand('src/again.txt', 'again\n'),
      repos: [f.repos[1].dir],
    });
    assert.strictEqual(again.step.n, 3);
    assert.deepStrictEqual(
      again.step.results?.map((r) => path.relative(f.root, r.repo)),
      ['repo-01'],
    );
    assert.deepStrictEqual(
      f.repos.map((r) => fs.existsSync(path.join(r.dir, 'src', 'again.txt'))),
      [false, true, false],
    );
  });

  it('serves blob bytes exactly, binary too', async () => {
    const bytes = Buffer.from(Array.from({ length: 256 * 4 }, (_, i) => (i * 7) % 256));
    const repo = f.repos[0];
    repo.write('bin/all-bytes.dat', bytes).write('crlf.txt', 'one\r\ntwo\r\n\u00e9\n').commitAll('content');
    const id = (rel: string) => repo.git('rev-parse', `HEAD:${rel}`);

    const bin = await f.server.request(BlobRequest, { repo: repo.dir, blob: id('bin/all-bytes.dat') });
    assert.strictEqual(bin.binary, true);
    assert.strictEqual(bin.size, bytes.length);
    assert.ok(Buffer.from(bin.base64, 'base64').equals(bytes));

    const text = await f.server.request(BlobRequest, { repo: repo.dir, blob: id('crlf.txt') });
    assert.strictEqual(text.binary, false);
    assert.ok(Buffer.from(text.base64, 'base64').equals(repo.read('crlf.txt')));
  });
});
