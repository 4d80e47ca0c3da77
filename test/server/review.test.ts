import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import {
  CampaignCommentAddRequest,
  CampaignCommentDeleteRequest,
  CampaignCommentsRequest,
  CampaignDiffRequest,
  CampaignRunRequest,
  CampaignStartRequest,
  ErrorCodes,
} from '../../server/src/protocol';
import { runCli } from '../helpers/repoKit';
import { serverFixture, writeFileCommand } from './serverKit';

/** Reviewing a campaign through the server: one diff producer shared with the CLI, and review comments kept in the store. */
describe('server: campaign review (diff text, comments)', () => {
  const f = serverFixture((kit) =>
    kit.workspace(3, { 'index.js': 'module.exports = function accepts(req) {\n  return req.headers.accept;\n}\n', 'old name.txt': 'x\n' }),
  );
  const cli = (...args: string[]) => runCli(args, { cwd: f.root, store: f.store });

  /** A campaign of two steps: a rewrite of index.js in every repo (and a rename with a space), then a new file in one. */
  async function campaign(): Promise<string> {
    const camp = await f.server.request(CampaignStartRequest, { name: 'review-me' });
    for (const r of f.repos) {
      r.write('index.js', 'module.exports = function accepts(req) {\n  return req.headers.accept || "*/*";\n}\n');
      fs.renameSync(r.file('old name.txt'), r.file('new name ü.txt'));
    }
    assert.strictEqual(cli('campaign', 'checkpoint', camp.id, '-m', 'default accept').status, 0);
    await f.server.request(CampaignRunRequest, { campaign: camp.id, command: writeFileCommand('lib/types.js', 'exports.types = [];\n') });
    return camp.id;
  }

  it("gives a step's diff text byte for byte as `campaign diff` prints it, and each file's part of it unchanged", async () => {
    const id = await campaign();
    for (const step of [1, 2, undefined]) {
      const { diff } = await f.server.request(CampaignDiffRequest, { campaign: id, ...(step ? { step } : {}) });
      const args = ['campaign', 'diff', id, ...(step ? ['--step', String(step)] : [])];
      const json = cli('--json', ...args);
      assert.strictEqual(json.status, 0, json.stderr);
      assert.strictEqual((JSON.parse(json.stdout) as { diff: string }).diff, diff, `step ${step ?? 'all'}: --json's diff`);
      const text = cli(...args);
      assert.strictEqual(text.stdout, diff, `step ${step ?? 'all'}: the text output`);
      assert.ok(diff.length > 0);
    }
    // the parts: per repo, then per file, joined in order, are the whole text again
    const whole = (await f.server.request(CampaignDiffRequest, { campaign: id, step: 1 })).diff;
    let joined = '';
    for (const r of f.repos) {
      const part = (await f.server.request(CampaignDiffRequest, { campaign: id, step: 1, repo: r.dir })).diff;
      const index = (await f.server.request(CampaignDiffRequest, { campaign: id, step: 1, repo: r.dir, path: 'index.js' })).diff;
      const renamed = (await f.server.request(CampaignDiffRequest, { campaign: id, step: 1, repo: r.dir, path: 'new name ü.txt' })).diff;
      const byOldName = (await f.server.request(CampaignDiffRequest, { campaign: id, step: 1, repo: r.dir, path: 'old name.txt' })).diff;
      const name = path.basename(r.dir);
      assert.ok(index.startsWith(`diff --git a/${name}/index.js b/${name}/index.js\n`), index);
      assert.match(index, /^\+ {2}return req\.headers\.accept \|\| "\*\/\*";$/m);
      assert.match(renamed, /^rename to "?[^\n]*new name/m);
      assert.strictEqual(byOldName, renamed, 'a rename is found by either name');
      assert.strictEqual(index + renamed, part, `${name}: the two files' sections are the repo's part`);
      joined += part;
    }
    assert.strictEqual(joined, whole);
    const outside = await f.server.error(CampaignDiffRequest, { campaign: id, step: 1, repo: path.join(f.root, 'elsewhere') });
    assert.strictEqual(outside.code, ErrorCodes.UnknownId);
  });

  it('keeps review comments with the campaign: `campaign log` shows one written through the server request', async () => {
    const id = await campaign();
    const repo = f.repos[1].dir;
    const added = await f.server.request(CampaignCommentAddRequest, {
      campaign: id,
      step: 1,
      repo,
      path: 'index.js',
      line: 2,
      body: 'Is "*/*" the right default?\nThe spec says so.',
    });
    assert.match(added.id, /^cmt_[0-9a-f]{12}$/);
    assert.deepStrictEqual([added.step, added.repo, added.path, added.line, added.author], [1, repo, 'index.js', 2, 'Test Author']);
    const onFile = await f.server.request(CampaignCommentAddRequest, {
      campaign: id,
      step: 2,
      repo,
      path: 'lib/types.js',
      body: 'fine',
      author: 'Rita Reviewer',
    });
    assert.strictEqual(onFile.line, undefined);

    const log = cli('campaign', 'log', id);
    assert.strictEqual(log.status, 0, log.stderr);
    assert.match(log.stdout, /^ {4}1 review comment:\n {6}repo-01\/index\.js:2 {2}Test Author, .*: Is "\*\/\*" the right default\?\n {8}The spec says so\.$/m);
    assert.match(log.stdout, /^ {6}repo-01\/lib\/types\.js {2}Rita Reviewer, .*: fine$/m);
    const json = JSON.parse(cli('--json', 'campaign', 'log', id).stdout) as { comments: { id: string }[] };
    assert.deepStrictEqual(
      json.comments.map((c) => c.id),
      [added.id, onFile.id],
    );

    const { comments } = await f.server.request(CampaignCommentsRequest, { campaign: 'review-me', step: 2 });
    assert.deepStrictEqual(
      comments.map((c) => c.body),
      ['fine'],
    );
    await f.server.request(CampaignCommentDeleteRequest, { campaign: id, id: onFile.id });
    assert.deepStrictEqual(
      (await f.server.request(CampaignCommentsRequest, { campaign: id })).comments.map((c) => c.id),
      [added.id],
    );
    // the CLI writes to the same place
    const fromCli = cli('campaign', 'comment', id, '--step', '2', '--repo', repo, '--path', 'lib/types.js', '-m', 'from a terminal');
    assert.strictEqual(fromCli.status, 0, fromCli.stderr);
    assert.deepStrictEqual(
      (await f.server.request(CampaignCommentsRequest, { campaign: id })).comments.map((c) => c.body),
      [added.body, 'from a terminal'],
    );
  });

  it('refuses a comment on a file the step did not change, an unknown step, a bad line, or no text', async () => {
    const id = await campaign();
    const repo = f.repos[0].dir;
    const cases: [Record<string, unknown>, number, RegExp][] = [
      [{ step: 2, path: 'index.js', body: 'x' }, ErrorCodes.UnknownId, /step 2 of review-me did not change this file/],
      [{ step: 9, path: 'index.js', body: 'x' }, ErrorCodes.UnknownId, /has no step 9/],
      [{ step: 1, path: 'index.js', line: 0, body: 'x' }, ErrorCodes.Usage, /line/],
      [{ step: 1, path: 'index.js', body: '  \n' }, ErrorCodes.Usage, /needs some text/],
    ];
    for (const [params, code, message] of cases) {
      const e = await f.server.error(CampaignCommentAddRequest, { campaign: id, repo, ...params });
      assert.strictEqual(e.code, code, `${JSON.stringify(params)}: ${e.message}`);
      assert.match(e.message, message);
    }
    assert.deepStrictEqual((await f.server.request(CampaignCommentsRequest, { campaign: id })).comments, []);
  });

  it('puts the comments on the steps a rollback undoes into its evidence pack, and `evidence show` prints them', async () => {
    const id = await campaign();
    const repo = f.repos[2].dir;
    await f.server.request(CampaignCommentAddRequest, { campaign: id, step: 1, repo, path: 'index.js', line: 2, body: 'step one note' });
    await f.server.request(CampaignCommentAddRequest, { campaign: id, step: 2, repo, path: 'lib/types.js', body: 'step two note' });
    const rb = cli('--json', 'rollback', '--campaign', id, '--step', '2');
    assert.strictEqual(rb.status, 0, rb.stderr);
    const rollback = (JSON.parse(rb.stdout) as { id?: string; record?: { id: string } }).record?.id ?? (JSON.parse(rb.stdout) as { id: string }).id;
    const shown = cli('--json', 'evidence', 'show', rollback);
    const pack = JSON.parse(shown.stdout) as { comments?: { step: number; text: string; repo: string; path: string; author: string }[] };
    assert.deepStrictEqual(
      pack.comments?.map((c) => [c.step, c.repo, c.path, c.text, c.author]),
      [[2, repo, 'lib/types.js', 'step two note', 'Test Author']],
    );
    assert.strictEqual(cli('evidence', 'verify', rollback).status, 0, 'the digest covers the comments');
    const text = cli('evidence', 'show', rollback).stdout;
    assert.match(text, /^review comments on the steps undone \(1\):$/m);
    assert.match(text, /^ {2}step 2 .*\/lib\/types\.js — Test Author, [\d-]+ [\d:]+Z: step two note$/m);
    assert.doesNotMatch(text, /step one note/);
    const page = fs.readFileSync(path.join(f.store, 'rollbacks', rollback, `evidence-${rollback}.html`), 'utf8');
    assert.match(page, /step two note/, 'the evidence report shows the comment');
    assert.doesNotMatch(page, /step one note/, 'a comment on a step the rollback keeps is not in its evidence');
  });
});
