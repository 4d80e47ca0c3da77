import * as assert from 'assert';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { ErrorCodes as RpcErrorCodes } from 'vscode-jsonrpc/node';
import {
  BlobRequest,
  EvidenceRequest,
  CampaignChangesRequest,
  CampaignDetailRequest,
  CampaignRunRequest,
  CampaignStartRequest,
  ErrorCodes,
  ReposListRequest,
  RollbackPreviewRequest,
  SnapshotCreateRequest,
  SnapshotDetailRequest,
  SnapshotFilesRequest,
  SnapshotVerifyRequest,
} from '../../server/src/protocol';
import { serverFixture } from './serverKit';

describe('server: bad requests get errors and the server keeps serving', () => {
  // registered before the fixture's own afterEach, which stops the server
  afterEach(async () => {
    assert.ok(f.server.alive, 'the server process is still running');
    assert.strictEqual((await f.server.request(ReposListRequest, {})).repos.length, 2, 'and still answers');
  });
  const f = serverFixture((kit) => kit.workspace(2));

  it('unknown method → MethodNotFound', async () => {
    const e = await f.server.error('codecontext/nope', {});
    assert.strictEqual(e.code, RpcErrorCodes.MethodNotFound);
  });

  it('wrong params → InvalidParams naming the field (the schemas in protocol.ts)', async () => {
    const cases: [string, unknown, RegExp][] = [
      [SnapshotDetailRequest.method, { id: 5 }, /"id" must be a non-empty string/],
      [SnapshotDetailRequest.method, {}, /"id"/],
      [SnapshotDetailRequest.method, 'snap_1', /params must be an object/],
      [SnapshotCreateRequest.method, { repos: ['relative/path'] }, /"repos\[0\]" must be an absolute path/],
      [SnapshotCreateRequest.method, { repos: '/one/path' }, /"repos" must be a list of absolute paths/],
      [RollbackPreviewRequest.method, { campaign: 'x', mode: 'fast' }, /"mode" must be one of restore, replay/],
      [RollbackPreviewRequest.method, { campaign: 'x', paths: ['*.ts', 7] }, /"paths\[1\]" must be a string/],
      [EvidenceRequest.method, { rollback: '../../etc/passwd' }, /"rollback" must be a rollback id/],
      [CampaignRunRequest.method, { campaign: 'x', command: 'ls -l' }, /"command" must be a non-empty list of strings/],
      [CampaignChangesRequest.method, { campaign: 'x', offset: -1 }, /"offset"/],
      [CampaignChangesRequest.method, { campaign: 'x', limit: 0 }, /"limit"/],
      [CampaignChangesRequest.method, { campaign: 'x', step: 1.5 }, /"step"/],
      [BlobRequest.method, { repo: f.root ?? '/', blob: 'HEAD:README.md' }, /"blob" must be a full object id/],
      [SnapshotFilesRequest.method, { id: 'snap_1', repo: '/x', tree: 'head' }, /"tree" must be one of worktree, index/],
      [SnapshotCreateRequest.method, { workDoneToken: { a: 1 } }, /"workDoneToken"/],
    ];
    for (const [method, params, message] of cases) {
      const e = await f.server.error(method, params);
      assert.strictEqual(e.code, RpcErrorCodes.InvalidParams, `${method} ${JSON.stringify(params)}: ${e.message}`);
      assert.match(e.message, message);
      assert.strictEqual(e.data?.code, 'InvalidParams');
    }
  });

  it('unknown ids → the engine code, numeric and in data', async () => {
    const snap = await f.server.error(SnapshotDetailRequest, { id: 'snap_ffff' });
    assert.strictEqual(snap.code, ErrorCodes.UnknownId);
    assert.deepStrictEqual(snap.data, { code: 'UnknownId' });
    assert.match(snap.message, /no such snapshot: snap_ffff/);

    assert.strictEqual((await f.server.error(CampaignDetailRequest, { id: 'no-such-campaign' })).data?.code, 'UnknownId');
    assert.strictEqual((await f.server.error(SnapshotVerifyRequest, { id: 'not-an-id!' })).data?.code, 'UnknownId');

    const camp = await f.server.request(CampaignStartRequest, { name: 'c' });
    const step = await f.server.error(CampaignChangesRequest, { campaign: camp.id, step: 3 });
    assert.strictEqual(step.code, ErrorCodes.UnknownId);
    assert.match(step.message, /has no step 3/);

    const repo = f.repos[0].dir;
    const missing = await f.server.error(BlobRequest, { repo, blob: 'f'.repeat(40) });
    assert.strictEqual(missing.code, ErrorCodes.MissingObject);
    assert.deepStrictEqual(missing.data, { code: 'MissingObject', repo });

    const notRepo = await f.server.error(BlobRequest, { repo: path.join(f.root, 'nowhere'), blob: 'f'.repeat(40) });
    assert.strictEqual(notRepo.data?.code, 'RepoMissing');

    const files = await f.server.error(SnapshotFilesRequest, { id: camp.baseline, repo: '/not/in/it' });
    assert.strictEqual(files.data?.code, 'UnknownId');
  });

  it('a modified manifest → TamperedManifest with its path', async () => {
    const snap = await f.server.request(SnapshotCreateRequest, {});
    const file = path.join(f.store, 'snapshots', `${snap.id}.json`);
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('"format": 1', '"format": 1, "x": 1'));
    const e = await f.server.error(SnapshotDetailRequest, { id: snap.id });
    assert.strictEqual(e.code, ErrorCodes.TamperedManifest);
    assert.strictEqual(e.data?.path, file);
  });

  it('an engine refusal in a mutation (no repos) is an error, not a crash', async () => {
    const e = await f.server.error(SnapshotCreateRequest, { roots: [f.kit.tempDir('cc-empty-')] });
    assert.strictEqual(e.code, ErrorCodes.NoRepositories);
  });
});

describe('server: node IPC transport', () => {
  const f = serverFixture((kit) => kit.workspace(1), { transport: 'ipc' });

  it('answers over --node-ipc', async () => {
    const { repos } = await f.server.request(ReposListRequest, {});
    assert.deepStrictEqual(
      repos.map((r) => r.path),
      [f.repos[0].dir],
    );
  });
});

describe('server: a malformed message', () => {
  const serverJs = path.resolve(__dirname, '../../../dist/server.js');

  /** The real server over stdio, fed `chunks` one write at a time; resolves when it exits (or, `waitFor` seen on stdout, stops it). */
  function feed(chunks: (string | Buffer)[], waitFor?: RegExp): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const child = spawn(process.execPath, [serverJs, '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
    child.stdout.setEncoding('utf8').on('data', (t: string) => {
      stdout += t;
      if (waitFor?.test(stdout)) child.kill();
    });
    const exited = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
      child.on('exit', (code) => resolve({ code, stdout, stderr })),
    );
    child.stdin.on('error', () => undefined);
    for (const c of chunks) child.stdin.write(c);
    return exited;
  }

  it('a bad Content-Length makes the server exit with a reason (the client restarts it), never hang silent', async () => {
    const { code, stderr } = await feed(['Content-Length: twelve\r\n\r\n{"jsonrpc":"2.0"}']);
    assert.strictEqual(code, 3);
    assert.match(stderr, /an unreadable message arrived \(Content-Length value must be a number/);
  });

  it('a Content-Length past 64 MB (99999999999, or one byte past the cap) makes it exit with the reason, before any body arrives', async () => {
    for (const length of ['99999999999', String(64 * 1024 * 1024 + 1), '99999999999999999999999999']) {
      const { code, stderr } = await feed([`Content-Length: ${length}\r\n\r\n{"jsonrpc":"2.0",`]);
      assert.strictEqual(code, 3, stderr);
      assert.match(stderr, new RegExp(`an unreadable message arrived \\(Content-Length ${length} is more than the 64 MB a message may hold\\); exiting`));
    }
  });

  it('a negative Content-Length, and a header part that never ends, make it exit with the reason', async () => {
    const negative = await feed(['Content-Length: -1\r\n\r\n{}']);
    assert.strictEqual(negative.code, 3);
    assert.match(negative.stderr, /Content-Length value must be a number of bytes, not "-1"/);
    const endless = await feed(['Content-Length: 10\r\nX-Pad: ', 'x'.repeat(40_000), 'x'.repeat(40_000)]);
    assert.strictEqual(endless.code, 3);
    assert.match(endless.stderr, /a message's header part runs past 65536 bytes without its blank line/);
  });

  it('a large message under the cap, its header cut between writes, and the one after it (with a Content-Type) are both read', async () => {
    // `typed`: a Content-Type header after the Content-Length, as some clients send
    const message = (id: number, pad: number, typed = false) => {
      const body = Buffer.from(JSON.stringify({ jsonrpc: '2.0', id, method: 'codecontext/no-such-method', params: { pad: 'x'.repeat(pad) } }));
      const type = typed ? 'Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n' : '';
      return Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n${type}\r\n`), body]);
    };
    const big = message(1, 3 * 1024 * 1024);
    const small = message(2, 10, true);
    const { stdout, stderr } = await feed([big.subarray(0, 9), big.subarray(9, 18), big.subarray(18), small.subarray(0, 30), small.subarray(30)], /"id":2/);
    assert.match(stdout, /"id":1/, stderr);
    assert.match(stdout, /"id":2/, stderr);
    assert.doesNotMatch(stderr, /unreadable/);
  });
});
