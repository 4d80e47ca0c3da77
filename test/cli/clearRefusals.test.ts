import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { RepoKit, runCli } from '../helpers/repoKit';

/** Inputs that were taken silently or refused in words that named nothing (issue 21, item 11). */
describe('clear refusals of bad options', function () {
  const kit = RepoKit.forSuite();

  it('--repos-from a folder or a missing file: the option and the path, not "EISDIR"', function () {
    const { root, store } = kit.workspace(1);
    const id = JSON.parse(runCli(['campaign', 'start', 'lists', '--root', root, '--json'], { store }).stdout).id as string;
    const run = (from: string) => runCli(['campaign', 'run', id, '--repos-from', from, '--', 'true'], { store });
    const folder = run(root);
    assert.strictEqual(folder.status, 2, folder.stderr);
    assert.strictEqual(
      folder.stderr,
      `codecontext: --repos-from ${root}: a folder, not a list; give a file of repo paths (one a line) or - for standard input\n`,
    );
    const missing = run(path.join(root, 'no-such-list.txt'));
    assert.strictEqual(missing.status, 2, missing.stderr);
    assert.strictEqual(missing.stderr, `codecontext: --repos-from ${path.join(root, 'no-such-list.txt')}: no such file\n`);
  });

  it('campaign comment --line: a line the file has after the step, or refused and nothing stored', function () {
    const { root, repos, store } = kit.workspace(1);
    repos[0].write('gone.txt', 'one\n').commitFiles({ 'gone.txt': 'one\n' }, 'a file the step deletes');
    const id = JSON.parse(runCli(['campaign', 'start', 'lines', '--root', root, '--json'], { store }).stdout).id as string;
    repos[0].write('two.txt', 'first\nsecond\n').write('unended.txt', 'first\nsecond');
    fs.rmSync(repos[0].file('gone.txt'));
    assert.strictEqual(runCli(['campaign', 'checkpoint', id], { store }).status, 0);
    const comment = (file: string, line: string) =>
      runCli(['campaign', 'comment', id, '--step', '1', '--repo', repos[0].dir, '--path', file, '--line', line, '-m', 'note'], { store });

    for (const file of ['two.txt', 'unended.txt']) assert.strictEqual(comment(file, '2').status, 0, file);
    // the engine refuses it (the server's comments go the same way): exit 1, a usage mistake the CLI sees alone is 2
    const past = comment('two.txt', '3');
    assert.strictEqual(past.status, 1, past.stderr);
    assert.match(past.stderr, /two\.txt: line 3 is past the end of the file: after step 1 it has 2 lines$/m);
    assert.match(comment('unended.txt', '3').stderr, /line 3 is past the end of the file: after step 1 it has 2 lines/);
    const huge = comment('two.txt', '99999999999999999999');
    assert.strictEqual(huge.status, 2, huge.stderr);
    assert.match(huge.stderr, /--line 99999999999999999999 is past the end of any file/);
    assert.match(comment('two.txt', '1000000').stderr, /line 1000000 is past the end of the file/);
    for (const bad of ['1e3', '0x10', '1.0', '0', ' 2', '2 ']) {
      const r = comment('two.txt', bad);
      assert.strictEqual(r.status, 2, `${bad}: ${r.stderr}`);
      assert.match(r.stderr, /--line takes a line number \(1, 2, …\), not/, bad);
    }
    const deleted = comment('gone.txt', '1');
    assert.strictEqual(deleted.status, 1, deleted.stderr);
    assert.match(deleted.stderr, /gone\.txt: step 1 deleted this file, so it has no line 1: comment on the whole file \(leave out the line\)/);

    const log = JSON.parse(runCli(['campaign', 'log', id, '--json'], { store }).stdout) as { comments: { path: string; line: number }[] };
    assert.deepStrictEqual(
      log.comments.map((c) => [c.path, c.line]),
      [
        ['two.txt', 2],
        ['unended.txt', 2],
      ],
      'only the comments on lines the files have were stored',
    );
  });

  it('rollback --check-timeout without --check is a usage error, before anything is planned', function () {
    const { root, repos, store } = kit.workspace(1);
    const snap = JSON.parse(runCli(['snapshot', 'create', '--root', root, '--json'], { store }).stdout).id as string;
    repos[0].write('README.md', 'changed\n');
    const r = runCli(['rollback', '--snapshot', snap, '--check-timeout', '5'], { store });
    assert.strictEqual(r.status, 2, r.stderr);
    assert.strictEqual(r.stderr, 'codecontext: --check-timeout goes with --check or --trust-repo-checks: it bounds the checks they run\n');
    assert.strictEqual(repos[0].read('README.md').toString(), 'changed\n', 'nothing rolled back');
    const dry = runCli(['rollback', '--snapshot', snap, '--check-timeout', '5', '--dry-run'], { store });
    assert.strictEqual(dry.status, 2, dry.stderr);
  });
});
