import * as assert from 'assert';
import * as path from 'path';
import { DidChangeWorkspaceFoldersNotification } from 'vscode-languageserver-protocol';
import { CampaignListRequest, ReposListRequest, SnapshotListRequest } from '../../server/src/protocol';
import { runCli } from '../helpers/repoKit';
import { serverFixture } from './serverKit';

describe('server: live updates and workspace folders', () => {
  const f = serverFixture((kit) => kit.workspace(2));

  // how soon it comes is measured by `npm run bench` (its didChange row), not asserted on a shared machine
  it('a snapshot created with the CLI while the server runs → didChange naming snapshots', async () => {
    const heard = f.server.nextChange('snapshots', 20_000);
    const cli = runCli(['snapshot', 'create', '--root', f.root], { store: f.store });
    assert.strictEqual(cli.status, 0, cli.stderr);
    await heard;
    const { snapshots } = await f.server.request(SnapshotListRequest, {});
    assert.deepStrictEqual(
      snapshots.map((s) => s.id),
      [cli.stdout.trim()],
    );
  });

  it('a campaign started with the CLI → didChange naming campaigns', async () => {
    const heard = f.server.nextChange('campaigns', 2000 + 5000);
    const cli = runCli(['campaign', 'start', 'from-cli', '--root', f.root], { store: f.store });
    assert.strictEqual(cli.status, 0, cli.stderr);
    await heard;
    assert.deepStrictEqual(
      (await f.server.request(CampaignListRequest, {})).campaigns.map((c) => c.name),
      ['from-cli'],
    );
  });

  it('follows workspace folders as they are added and removed', async () => {
    const other = f.kit.workspace(3);
    const uri = (p: string) => ({ uri: `file://${p}`, name: path.basename(p) });
    await f.server.notify(DidChangeWorkspaceFoldersNotification.type, { event: { added: [uri(other.root)], removed: [] } });
    const both = await f.server.request(ReposListRequest, {});
    assert.deepStrictEqual(both.roots, [f.root, other.root].sort());
    assert.strictEqual(both.repos.length, 5);

    await f.server.notify(DidChangeWorkspaceFoldersNotification.type, { event: { added: [], removed: [uri(f.root)] } });
    const after = await f.server.request(ReposListRequest, {});
    assert.deepStrictEqual(after.roots, [other.root]);
    assert.deepStrictEqual(
      after.repos.map((r) => r.path),
      other.repos.map((r) => r.dir),
    );
  });

  it('finds a repo made after start when asked to refresh', async () => {
    assert.strictEqual((await f.server.request(ReposListRequest, {})).repos.length, 2);
    f.kit.repo(path.join(f.root, 'late'));
    assert.strictEqual((await f.server.request(ReposListRequest, {})).repos.length, 2, 'answered from the last search');
    assert.strictEqual((await f.server.request(ReposListRequest, { refresh: true })).repos.length, 3);
  });
});

describe('server: settings through workspace/configuration', () => {
  const f = serverFixture(
    (kit) => kit.workspace(1),
    (f) => ({ settings: { storePath: f.kit.tempDir('cc-settings-store-'), parallelism: 1 } }),
  );

  it('the storePath setting wins over initializationOptions', async () => {
    const store = f.server.options.settings!.storePath!;
    const cli = runCli(['snapshot', 'create', '--root', f.root], { store });
    assert.strictEqual(cli.status, 0, cli.stderr);
    assert.deepStrictEqual(
      (await f.server.request(SnapshotListRequest, {})).snapshots.map((s) => s.id),
      [cli.stdout.trim()],
    );
  });
});
