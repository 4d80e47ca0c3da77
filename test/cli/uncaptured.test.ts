import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { RepoKit, git, listFiles, runCli } from '../helpers/repoKit';

/**
 * A rollback never deletes what it did not capture (issue 23, item 7; copilot-cli#1675's
 * `git clean -fd`): ignored files, files in nested repos, and files over the size cap stay as they
 * are, whatever the campaign did around them.
 */
describe('a rollback leaves what it did not capture', function () {
  const kit = RepoKit.forSuite();

  function campaign(files: Record<string, string> = { 'a.txt': 'a\n', '.gitignore': '*.log\nbuild/\n' }) {
    const root = kit.tempDir('cc-ws-');
    const repo = kit.repo(path.join(root, 'app'), files);
    const store = kit.tempDir('cc-store-');
    // a cap of 1 KiB for these tests, in every process: the same rule as the default 100 MB
    const cli = (...args: string[]) => runCli(args, { store, env: { CODECONTEXT_MAX_FILE_BYTES: '1024' } });
    const started = cli('campaign', 'start', 'agent', '--root', root, '--json');
    assert.strictEqual(started.status, 0, started.stderr);
    const camp = (JSON.parse(started.stdout) as { id: string }).id;
    const checkpoint = () => assert.strictEqual(cli('campaign', 'checkpoint', camp).status, 0);
    const rollback = (...extra: string[]) => {
      const r = cli('rollback', '--campaign', camp, '--force', ...extra);
      assert.strictEqual(r.status, 0, r.stdout + r.stderr);
      return r;
    };
    return { repo, store, cli, camp, checkpoint, rollback };
  }

  for (const mode of ['restore', 'replay']) {
    it(`ignored files (${mode}): made during the campaign, or ignored at the baseline and unignored by it, are kept byte for byte`, function () {
      const { repo, checkpoint, rollback } = campaign();
      repo.write('old.log', 'there before the campaign, ignored\n');
      repo
        .write('a.txt', 'a changed\n')
        .write('build/out.bin', Buffer.from([0, 1, 2]))
        .write('new.log', 'made by the agent, ignored\n');
      // the campaign stops ignoring *.log: old.log and new.log are untracked files in its checkpoint
      repo.write('.gitignore', 'build/\n');
      checkpoint();
      rollback('--mode', mode);
      assert.strictEqual(repo.read('a.txt').toString(), 'a\n');
      assert.strictEqual(repo.read('.gitignore').toString(), '*.log\nbuild/\n');
      assert.strictEqual(repo.read('old.log').toString(), 'there before the campaign, ignored\n');
      assert.deepStrictEqual([...repo.read('build/out.bin')], [0, 1, 2]);
      // new.log did not exist at the baseline, but *.log was ignored there: not ours to remove
      assert.strictEqual(repo.read('new.log').toString(), 'made by the agent, ignored\n');
    });
  }

  it('nested repos: one with commits and one without are left whole, files, .git and all', function () {
    const { repo, checkpoint, rollback } = campaign({ 'a.txt': 'a\n' });
    const nested = kit.repo(repo.file('vendor/lib'), { 'lib.js': 'lib\n' });
    nested.write('wip.js', 'uncommitted in the nested repo\n');
    const fresh = repo.file('scratch/newrepo');
    fs.mkdirSync(fresh, { recursive: true });
    git(fresh, 'init', '-q', '-b', 'main');
    fs.writeFileSync(path.join(fresh, 'x.txt'), 'no commit yet\n');
    repo.write('a.txt', 'a changed\n');
    checkpoint();
    const before = { nested: listFiles(nested.dir), fresh: listFiles(fresh), head: nested.head() };
    rollback();
    assert.strictEqual(repo.read('a.txt').toString(), 'a\n');
    assert.deepStrictEqual(listFiles(nested.dir), before.nested);
    assert.strictEqual(nested.head(), before.head);
    assert.deepStrictEqual(listFiles(fresh), before.fresh);
    assert.ok(fs.existsSync(path.join(fresh, '.git')));
    assert.ok(fs.existsSync(nested.file('.git')));
  });

  for (const mode of ['restore', 'replay']) {
    it(`files over the size cap (${mode}): left out of the checkpoint, named in its step, and never removed by a rollback`, function () {
      const { repo, cli, camp, rollback } = campaign({ 'a.txt': 'a\n', 'small.bin': 'x'.repeat(100) });
      const big = Buffer.alloc(2048, 7);
      repo.write('a.txt', 'a changed\n').write('data/big.bin', big).write('small.bin', 'y'.repeat(2000));
      const r = cli('campaign', 'checkpoint', camp, '--json');
      assert.strictEqual(r.status, 0, r.stderr);
      const step = (JSON.parse(r.stdout) as { step: { leftOut?: { repo: string; path: string; size: number }[] } }).step;
      // a tracked file that grew past the cap is git's already: captured as it is
      assert.deepStrictEqual(step.leftOut, [{ repo: repo.dir, path: 'data/big.bin', size: 2048 }]);
      assert.match(cli('campaign', 'log', camp).stdout, /data\/big\.bin: left out, 0\.0 MB is over the size cap/);
      rollback('--mode', mode);
      assert.strictEqual(repo.read('a.txt').toString(), 'a\n');
      assert.strictEqual(repo.read('small.bin').toString(), 'x'.repeat(100));
      assert.deepStrictEqual(repo.read('data/big.bin'), big);
    });
  }

  it('a repo over the per-repo time budget is named in the step (budget 0 ms here: every repo)', function () {
    const { repo, store, camp } = campaign({ 'a.txt': 'a\n' });
    repo.write('a.txt', 'a changed\n');
    const r = runCli(['campaign', 'checkpoint', camp, '--json'], { store, env: { CODECONTEXT_REPO_BUDGET_MS: '0' } });
    assert.strictEqual(r.status, 0, r.stderr);
    const slow = (JSON.parse(r.stdout) as { step: { slow?: { repo: string; ms: number }[] } }).step.slow ?? [];
    assert.deepStrictEqual(
      slow.map((x) => x.repo),
      [repo.dir],
    );
    assert.match(runCli(['campaign', 'log', camp], { store }).stdout, /app: captured in \d+\.\d s, over the per-repo time budget/);
  });
});
