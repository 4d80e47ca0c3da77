import * as assert from 'assert';
import * as path from 'path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { RepoKit, gitEnv } from '../helpers/repoKit';

/**
 * `codecontext mcp` (issue 23, item 5) driven by the SDK's own Client over stdio, against the real
 * built dist/cli.js: the tools and their schemas, then start, checkpoint, preview, undo one step,
 * undo that rollback and roll back, checked on the files; bad arguments are tool errors and the
 * server goes on serving.
 */
describe('codecontext mcp', function () {
  const kit = RepoKit.forSuite();
  let client: Client | undefined;
  afterEach(async () => {
    await client?.close();
    client = undefined;
  });

  async function connect(store: string): Promise<Client> {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [path.resolve(__dirname, '../../../dist/cli.js'), 'mcp'],
      env: { ...(gitEnv as Record<string, string>), CODECONTEXT_HOME: store },
      stderr: 'pipe',
    });
    const c = new Client({ name: 'codecontext-test', version: '1.0.0' });
    await c.connect(transport);
    client = c;
    return c;
  }

  async function call(c: Client, name: string, args: Record<string, unknown>): Promise<Record<string, unknown>> {
    const r = await c.callTool({ name, arguments: args });
    const text = (r.content as { type: string; text: string }[])[0]?.text ?? '';
    assert.ok(!r.isError, `${name} failed: ${text}`);
    return JSON.parse(text) as Record<string, unknown>;
  }

  it('lists its tools with schemas, and checkpoints, previews, undoes one step, undoes that undo and rolls back', async function () {
    const { root, repos, store } = kit.workspace(2, { 'a.txt': 'a\n', 'b.txt': 'version 1\n' });
    const c = await connect(store);
    const { tools } = await c.listTools();
    assert.deepStrictEqual(tools.map((t) => t.name).sort(), [
      'checkpoint',
      'list_campaigns',
      'list_rollbacks',
      'list_snapshots',
      'preview_rollback',
      'rollback',
      'start_campaign',
      'undo_rollback',
      'undo_step',
    ]);
    for (const t of tools) {
      assert.strictEqual(t.inputSchema.type, 'object', t.name);
      assert.ok((t.description ?? '').length > 60, `${t.name}: a description a model can act on`);
      assert.strictEqual(t.annotations?.destructiveHint, ['rollback', 'undo_step', 'undo_rollback'].includes(t.name), t.name);
    }
    const undoStep = tools.find((t) => t.name === 'undo_step')!;
    assert.deepStrictEqual([...(undoStep.inputSchema.required ?? [])].sort(), ['campaign', 'step']);

    const camp = (await call(c, 'start_campaign', { name: 'agent', roots: [root] })).id as string;
    for (const r of repos) r.write('a.txt', 'a renamed\n');
    const one = await call(c, 'checkpoint', { campaign: camp, message: 'rename' });
    assert.deepStrictEqual([(one.step as { n: number }).n, one.files], [1, 2]);
    assert.strictEqual((await call(c, 'checkpoint', { campaign: camp })).step, null, 'nothing changed: no step');
    for (const r of repos) r.write('b.txt', 'version 2\n');
    await call(c, 'checkpoint', { campaign: camp, message: 'bump' });

    const preview = await call(c, 'preview_rollback', { campaign: camp, onlyStep: 1 });
    assert.strictEqual((preview.totals as { files: number }).files, 2);
    const file = (preview.repos as { files: { path: string; diff?: string }[] }[])[0].files[0];
    assert.strictEqual(file.path, 'a.txt');
    assert.match(file.diff ?? '', /-a renamed\n\+a\n/);
    // previewing changed nothing
    assert.strictEqual(repos[0].read('a.txt').toString(), 'a renamed\n');

    const undone = await call(c, 'undo_step', { campaign: camp, step: 1 });
    assert.strictEqual(undone.outcome, 'committed');
    for (const r of repos) assert.deepStrictEqual([r.read('a.txt').toString(), r.read('b.txt').toString()], ['a\n', 'version 2\n']);

    const back = await call(c, 'undo_rollback', { rollback: undone.id });
    assert.strictEqual(back.undoOf, undone.id);
    for (const r of repos) assert.strictEqual(r.read('a.txt').toString(), 'a renamed\n');

    const all = await call(c, 'rollback', { campaign: camp });
    assert.strictEqual(all.outcome, 'committed');
    for (const r of repos) assert.deepStrictEqual([r.read('a.txt').toString(), r.read('b.txt').toString()], ['a\n', 'version 1\n']);

    const listed = (await call(c, 'list_campaigns', {})).campaigns as { id: string; status: string; steps: unknown[] }[];
    assert.deepStrictEqual(
      listed.map((x) => [x.id, x.status, x.steps.length]),
      [[camp, 'rolled-back', 2]],
    );
    const rollbacks = (await call(c, 'list_rollbacks', {})).rollbacks as { id: string }[];
    assert.strictEqual(rollbacks.length, 3);
    assert.ok(((await call(c, 'list_snapshots', {})).snapshots as unknown[]).length >= 3);
  });

  it('bad arguments and unknown ids are tool errors, and the server keeps serving', async function () {
    const { store } = kit.workspace(1);
    const c = await connect(store);
    const bad: [string, Record<string, unknown>, RegExp][] = [
      ['start_campaign', { name: 5, roots: [] }, /name|roots/i],
      ['undo_step', { campaign: 'x', step: 0 }, /step/],
      ['undo_step', { campaign: 'nope', step: 1 }, /UnknownId/],
      ['rollback', {}, /give a target/],
      ['rollback', { campaign: 'a', snapshot: 'b' }, /not both/],
      ['undo_rollback', { rollback: 'rb_000000000000' }, /rb_000000000000/],
    ];
    for (const [name, args, message] of bad) {
      const r = await c.callTool({ name, arguments: args });
      const text = (r.content as { text: string }[])[0]?.text ?? '';
      assert.strictEqual(r.isError, true, `${name} ${JSON.stringify(args)}: ${text}`);
      assert.match(text, message, name);
    }
    assert.strictEqual((await c.listTools()).tools.length, 9);
  });

  it("never runs a repo's own check without consent: the rollback is a tool error and nothing changes", async function () {
    const { root, repos, store } = kit.workspace(1, { 'a.txt': 'a\n', '.codecontext.json': '{"check": "node -e 0"}\n' });
    const c = await connect(store);
    const camp = (await call(c, 'start_campaign', { name: 'checked', roots: [root] })).id as string;
    repos[0].write('a.txt', 'changed\n');
    await call(c, 'checkpoint', { campaign: camp });
    const r = await c.callTool({ name: 'rollback', arguments: { campaign: camp } });
    const text = (r.content as { text: string }[])[0]?.text ?? '';
    assert.strictEqual(r.isError, true, text);
    assert.match(text, /^ChecksNeedConsent: .*node -e 0.*nothing was changed/);
    assert.strictEqual(repos[0].read('a.txt').toString(), 'changed\n');
  });
});
