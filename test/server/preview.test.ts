import * as assert from 'assert';
import {
  CampaignCheckpointRequest,
  CampaignStartRequest,
  ErrorCodes,
  ReposChangedNotification,
  ReposChangedParams,
  ReposWatchRequest,
  RollbackExecuteRequest,
  RollbackFileDiffRequest,
  RollbackPlanFilesRequest,
  RollbackPreviewRequest,
  RollbackUndoRequest,
} from '../../server/src/protocol';
import * as fs from 'fs';
import { decodePath } from '../../server/src/engine/util/pathBytes';
import { Fixture, serverFixture } from './serverKit';

/** A campaign whose one step (made by hand, then checkpointed) rewrote `files` in the first repo. */
async function campaignOf(f: Fixture, files: Record<string, string>): Promise<string> {
  const camp = await f.server.request(CampaignStartRequest, { name: 'exact' });
  for (const [rel, text] of Object.entries(files)) f.repos[0].write(rel, text);
  await f.server.request(CampaignCheckpointRequest, { campaign: camp.id, message: 'rewrite' });
  return camp.id;
}

/** Resolves with the next `reposChanged` from now on; rejects after `ms`. */
function nextReposChanged(f: Fixture, ms: number): Promise<ReposChangedParams> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      listening.dispose();
      reject(new Error(`no reposChanged within ${ms} ms`));
    }, ms);
    const listening = f.server.rpc.onNotification(ReposChangedNotification.method, (p: ReposChangedParams) => {
      clearTimeout(timer);
      listening.dispose();
      resolve(p);
    });
  });
}

describe('server: the preview’s plan (exact files, drift lines, leaving a repo out, the repo watcher)', () => {
  const f = serverFixture((kit) => kit.workspace(2, { 'README.md': '# repo\n', 'a*b.ts': 'star 1\n', 'axb.ts': 'x 1\n' }));

  it('a file named a*b.ts ticked alone rolls back only itself: axb.ts is left as it was; the run names its files exactly', async () => {
    const camp = await campaignOf(f, { 'a*b.ts': 'star 2\n', 'axb.ts': 'x 2\n' });
    const [repo] = f.repos;
    const narrowed = await f.server.request(RollbackPreviewRequest, { campaign: camp, repos: [repo.dir], files: { [repo.dir]: ['a*b.ts'] } });
    const page = await f.server.request(RollbackPlanFilesRequest, { plan: narrowed.hash });
    assert.deepStrictEqual(
      page.items.map((x) => x.path),
      ['a*b.ts'],
      'the plan holds exactly the ticked file',
    );
    // the run names its files; a list other than the plan's is refused before anything is locked
    for (const files of [{ [repo.dir]: ['a*b.ts', 'axb.ts'] }, { [repo.dir]: [] }, { [repo.dir]: ['a*b.ts'], [f.repos[1].dir]: ['README.md'] }]) {
      const refused = await f.server.error(RollbackExecuteRequest, { plan: narrowed.hash, files });
      assert.strictEqual(refused.data?.code, 'PlanStale', refused.message);
      assert.strictEqual(repo.read('a*b.ts').toString(), 'star 2\n', 'nothing changed');
    }
    const { record } = await f.server.request(RollbackExecuteRequest, { plan: narrowed.hash, files: { [repo.dir]: ['a*b.ts'] } });
    assert.strictEqual(record.outcome, 'committed');
    assert.strictEqual(repo.read('a*b.ts').toString(), 'star 1\n');
    assert.strictEqual(repo.read('axb.ts').toString(), 'x 2\n', 'a glob would have selected axb.ts too');
  });

  it('a ticked file whose name is not UTF-8 goes through preview and execute as its bytes, and alone', async () => {
    const [repo] = f.repos;
    const odd = Buffer.from([0x6e, 0xe9, 0x2e, 0x74, 0x73]); // "n\xe9.ts" in Latin-1: not UTF-8
    const oddFile = Buffer.concat([Buffer.from(repo.dir + '/'), odd]);
    fs.writeFileSync(oddFile, 'latin 1\n');
    repo.git('add', '-A');
    repo.git('commit', '-q', '-m', 'odd name');
    const camp = await f.server.request(CampaignStartRequest, { name: 'odd' });
    fs.writeFileSync(oddFile, 'latin 2\n');
    repo.write('axb.ts', 'x 3\n');
    await f.server.request(CampaignCheckpointRequest, { campaign: camp.id, message: 'rewrite' });
    const all = await f.server.request(RollbackPreviewRequest, { campaign: camp.id });
    const files = await f.server.request(RollbackPlanFilesRequest, { plan: all.hash, repo: repo.dir });
    const name = files.items.map((x) => x.path).find((p) => p !== 'axb.ts')!;
    assert.strictEqual(name, decodePath(odd), 'the plan names it by its bytes');
    const narrowed = await f.server.request(RollbackPreviewRequest, { campaign: camp.id, repos: [repo.dir], files: { [repo.dir]: [name] } });
    const { record } = await f.server.request(RollbackExecuteRequest, { plan: narrowed.hash, files: { [repo.dir]: [name] } });
    assert.strictEqual(record.outcome, 'committed');
    assert.strictEqual(fs.readFileSync(oddFile, 'utf8'), 'latin 1\n');
    assert.strictEqual(repo.read('axb.ts').toString(), 'x 3\n', 'the file not ticked is left as it is');
  });

  it('the execute reuses the preview’s captures only while nothing changed: a file written, or a new one, in between is refused, naming it', async () => {
    const camp = await campaignOf(f, { 'axb.ts': 'x 2\n' });
    const [repo, other] = f.repos;
    // a tracked file rewritten (same size), then a new untracked file, each between the preview and its execute
    for (const [change, named] of [
      [() => repo.write('README.md', '# REPO\n'), 'README.md'],
      [() => other.write('later.txt', 'new since the preview\n'), 'later.txt'],
    ] as const) {
      const preview = await f.server.request(RollbackPreviewRequest, { campaign: camp });
      change();
      const refused = await f.server.error(RollbackExecuteRequest, { plan: preview.hash, force: true });
      assert.strictEqual(refused.data?.code, 'PlanStale', refused.message);
      assert.strictEqual(refused.data?.path, named, refused.message);
      assert.match(refused.message, /changed since the plan was made .*preview again/);
      assert.strictEqual(repo.read('axb.ts').toString(), 'x 2\n', 'nothing changed');
    }
    const preview = await f.server.request(RollbackPreviewRequest, { campaign: camp });
    const { record } = await f.server.request(RollbackExecuteRequest, { plan: preview.hash, force: true });
    assert.strictEqual(record.outcome, 'committed');
    assert.strictEqual(repo.read('axb.ts').toString(), 'x 1\n');
    // forced over (the safety snapshot keeps them): the drifted README and the new file are the target's again
    assert.strictEqual(repo.read('README.md').toString(), '# repo\n');
    assert.strictEqual(other.exists('later.txt'), false);
    // each run took its plan's captures and released them; the verify's are kept for an undo, one a repo,
    // and the undo takes them: then no temporary index of the server is left
    const pid = f.server.child.pid;
    const left = () => (fs.existsSync('/dev/shm') ? fs.readdirSync('/dev/shm').filter((n) => n.startsWith(`codecontext-${pid}-`)) : []);
    if (fs.existsSync('/dev/shm')) assert.strictEqual(left().length, record.repos.length, left().join(', '));
    const undo = await f.server.request(RollbackUndoRequest, { rollback: record.id });
    assert.strictEqual(undo.record.outcome, 'committed');
    assert.deepStrictEqual(left(), []);
  });

  it('refuses a malformed files param with InvalidParams', async () => {
    const camp = await campaignOf(f, { 'axb.ts': 'x 2\n' });
    const e = await f.server.error(RollbackPreviewRequest, { campaign: camp, files: { 'relative/repo': ['a'] } });
    assert.strictEqual(e.code, ErrorCodes.Usage);
    assert.match(e.message, /"files[^"]*" must map absolute repo paths/);
  });

  it('a drifted file’s diff names the lines the user typed after the campaign', async () => {
    const camp = await campaignOf(f, { 'axb.ts': 'x 2\nshared\n' });
    f.repos[0].write('axb.ts', 'x 2\nmine\nshared\n');
    const preview = await f.server.request(RollbackPreviewRequest, { campaign: camp });
    assert.deepStrictEqual(preview.repos.find((r) => r.path === f.repos[0].dir)?.drift, [{ kind: 'file', path: 'axb.ts' }]);
    const diff = await f.server.request(RollbackFileDiffRequest, { plan: preview.hash, repo: f.repos[0].dir, path: 'axb.ts' });
    assert.deepStrictEqual(diff.driftLines, [2], 'line 2 ("mine") is the user’s');
    assert.match(diff.patch, /-mine\n/);
    assert.ok(
      preview.repos.every((r) => Array.isArray(r.dependsOn)),
      'every repo says what it depends on',
    );
  });

  it('a repo mid-merge refuses the plan, and can be left out of it', async () => {
    const camp = await campaignOf(f, { 'axb.ts': 'x 2\n' });
    f.repos[1].conflictedMerge();
    const e = await f.server.error(RollbackPreviewRequest, { campaign: camp });
    assert.strictEqual(e.data?.repo, f.repos[1].dir, 'the refusal names the repo');
    const without = await f.server.request(RollbackPreviewRequest, { campaign: camp, exclude: [f.repos[1].dir] });
    assert.deepStrictEqual(
      without.repos.map((r) => r.path),
      [f.repos[0].dir],
    );
    assert.deepStrictEqual(without.leftOut, [{ repo: f.repos[1].dir, reason: 'blocked' }]);
  });

  it("a repo left out through a conflict's way out is named so in the plan's leftOut (the evidence's), not as unticked", async () => {
    const camp = await campaignOf(f, { 'axb.ts': 'x 3\n' });
    const [one, other] = f.repos.map((r) => r.dir);
    const unticked = await f.server.request(RollbackPreviewRequest, { campaign: camp, repos: [one] });
    assert.deepStrictEqual(unticked.leftOut, [{ repo: other, reason: 'unticked' }]);
    const conflicted = await f.server.request(RollbackPreviewRequest, { campaign: camp, repos: [one], conflicted: [{ repo: `${other}/` }] });
    assert.deepStrictEqual(conflicted.leftOut, [{ repo: other, reason: 'conflict' }]);
    assert.strictEqual(conflicted.hash, unticked.hash, 'the reason is a record, not part of what the plan does');
    const bad = await f.server.error(RollbackPreviewRequest, { campaign: camp, repos: [one], conflicted: [{ repo: 'relative' }] });
    assert.match(bad.message, /"conflicted\[0\]\.repo" must be an absolute path/);
  });

  it('watched repos: an edit is heard, planning again is not', async () => {
    const camp = await campaignOf(f, { 'axb.ts': 'x 2\n' });
    const state = await f.server.request(ReposWatchRequest, { repos: f.repos.map((r) => r.dir) });
    assert.deepStrictEqual([state.watching, state.limited], [2, []]);
    assert.ok(state.folders >= 6, `the git dir, refs and worktree of each: ${state.folders}`);
    const heard = nextReposChanged(f, 5000);
    f.repos[1].write('src/new.ts', 'typed by hand\n');
    assert.deepStrictEqual((await heard).repos, [f.repos[1].dir]);

    const staged = nextReposChanged(f, 5000);
    f.repos[0].git('add', 'axb.ts');
    assert.deepStrictEqual((await staged).repos, [f.repos[0].dir], 'the index counts');

    // a preview writes objects and temp indexes in the git dir: none of that is a change
    const quiet = nextReposChanged(f, 1500).then(
      (p) => assert.fail(`planning woke the watcher: ${JSON.stringify(p)}`),
      () => undefined,
    );
    await f.server.request(RollbackPreviewRequest, { campaign: camp });
    await quiet;
    assert.deepStrictEqual(await f.server.request(ReposWatchRequest, { repos: [] }), { watching: 0, folders: 0, limited: [] });
  });
});
