import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { commandLine } from '../../server/src/engine/rollback/evidence/report';
import { RepoKit, runCli } from '../helpers/repoKit';

/**
 * Issue 25, item 5: the evidence of a partial rollback says it was partial: the repos and files of the
 * target it left as they were, and why, in the pack, its report and `evidence show`; the report's
 * command line is one a user can run, or says it came from the extension.
 */
describe('the evidence of a partial rollback (CLI)', function () {
  const kit = RepoKit.forSuite();

  it('records the repos and files left out, in the pack, the report and evidence show', function () {
    const { root, store } = kit.workspace(0);
    const a = kit.repo(path.join(root, 'a'), { 'x.txt': 'x\n', 'y.txt': 'y\n' });
    const b = kit.repo(path.join(root, 'b'), { 'z.txt': 'z\n' });
    const cli = (...args: string[]) => runCli(args, { store, cwd: root });
    const json = <T>(...args: string[]) => JSON.parse(cli('--json', ...args).stdout) as T;
    const camp = json<{ id: string }>('campaign', 'start', 'c', '--root', root).id;
    a.write('x.txt', 'x2\n').write('y.txt', 'y2\n');
    b.write('z.txt', 'z2\n');
    json('campaign', 'checkpoint', camp);
    const rb = json<{ id: string; evidence: string }>('rollback', '--campaign', camp, '--repo', a.dir, '--path', 'x.txt');
    assert.strictEqual(fs.readFileSync(a.file('y.txt'), 'utf8'), 'y2\n');
    const pack = JSON.parse(fs.readFileSync(rb.evidence, 'utf8')) as { leftOut?: { repo: string; path?: string; reason: string }[] };
    assert.deepStrictEqual(pack.leftOut, [
      { repo: b.dir, reason: 'unticked' },
      { repo: a.dir, path: 'y.txt', reason: 'unticked' },
    ]);
    const show = cli('evidence', 'show', rb.id);
    assert.strictEqual(show.status, 0, show.stderr);
    assert.match(show.stdout, /^partial: left out .*b \(whole repo\) \(unticked\), .*a\/y\.txt \(unticked\)$/m);
    assert.match(show.stdout, /^command: codecontext .*rollback --campaign/m);
    const html = fs.readFileSync(rb.evidence.replace(/\.json$/, '.html'), 'utf8');
    assert.match(html, /— partial: 1 repo and 1 file left out/);
    assert.match(html, /<h2>Left out <span class="count">2<\/span><\/h2>/);
    assert.strictEqual(cli('evidence', 'verify', rb.id).status, 0);
  });

  it('a rollback run from the extension says so instead of a command line no shell runs', function () {
    assert.strictEqual(
      commandLine({ command: ['(vscode)', 'rollback', '--plan', 'abc123', '--force'], planHash: 'abc123' }),
      'none: run from the VS Code extension (--force)',
    );
    assert.strictEqual(commandLine({ command: ['(vscode)', 'rollback', 'undo', 'rb_1'], planHash: 'x' }), 'none: run from the VS Code extension (undo rb_1)');
    assert.strictEqual(commandLine({ command: ['rollback', '--campaign', 'c'], planHash: 'x' }), 'codecontext rollback --campaign c');
  });
});
