import * as assert from 'assert';
import * as path from 'path';
import { RepoKit, fingerprints, runCli } from '../helpers/repoKit';

/**
 * `rollback --campaign C --only-step N` (issue 23, item 3): the inverse of step N alone, replayed
 * over every step after it. The later steps and edits since are kept; a hunk of step N that a later
 * step changed is a conflict found at plan time, and nothing is written.
 */
describe('rollback --only-step', function () {
  const kit = RepoKit.forSuite();

  function threeSteps() {
    const template = kit.repo(path.join(kit.tempDir('cc-tpl-'), 'template'), {
      'package.json': '{\n  "name": "x",\n  "version": "1.0.0",\n  "main": "index.js"\n}\n',
      'src/log.js': 'const log = require("logger");\nlog("a");\nlog("b");\n',
      'README.md': '# x\n',
    });
    const { root, repos } = kit.copies(template, 2);
    const store = kit.tempDir('cc-store-');
    const cli = (...args: string[]) => runCli(args, { store });
    const camp = JSON.parse(cli('campaign', 'start', 'agent', '--root', root, '--json').stdout).id as string;
    // step 1: a rename; step 2: a version bump and a new file; step 3: another edit of the renamed file
    for (const r of repos) r.write('src/log.js', 'const log = require("tracer");\nlog("a");\nlog("b");\n');
    assert.strictEqual(cli('campaign', 'checkpoint', camp, '-m', 'rename').status, 0);
    for (const r of repos) r.write('package.json', '{\n  "name": "x",\n  "version": "2.0.0",\n  "main": "index.js"\n}\n').write('CHANGES.md', 'v2\n');
    assert.strictEqual(cli('campaign', 'checkpoint', camp, '-m', 'bump').status, 0);
    for (const r of repos) r.write('src/log.js', 'const log = require("tracer");\nlog("a");\nlog("b");\nlog("c");\n');
    assert.strictEqual(cli('campaign', 'checkpoint', camp, '-m', 'more').status, 0);
    return { repos, store, cli, camp };
  }

  it('undoes step 2 alone and keeps steps 1 and 3 and an edit made since, byte for byte', function () {
    const { repos, cli, camp } = threeSteps();
    repos[1].write('README.md', '# x\nmine\n');
    const dry = cli('rollback', '--campaign', camp, '--only-step', '2', '--dry-run', '--json');
    assert.strictEqual(dry.status, 0, dry.stderr);
    const plan = JSON.parse(dry.stdout) as { mode: string; target: { onlyStep?: number; label: string }; totals: { files: number; conflicts: number } };
    assert.strictEqual(plan.mode, 'replay');
    assert.strictEqual(plan.target.onlyStep, 2);
    assert.match(plan.target.label, /step 2 only/);
    assert.deepStrictEqual([plan.totals.files, plan.totals.conflicts], [4, 0]);
    const run = cli('rollback', '--campaign', camp, '--only-step', '2', '--json');
    assert.strictEqual(run.status, 0, run.stderr);
    for (const r of repos) {
      assert.strictEqual(r.read('package.json').toString(), '{\n  "name": "x",\n  "version": "1.0.0",\n  "main": "index.js"\n}\n');
      assert.strictEqual(r.exists('CHANGES.md'), false);
      assert.strictEqual(r.read('src/log.js').toString(), 'const log = require("tracer");\nlog("a");\nlog("b");\nlog("c");\n');
    }
    assert.strictEqual(repos[1].read('README.md').toString(), '# x\nmine\n');
    // the campaign is not rolled back: one step of it was
    const shown = JSON.parse(cli('campaign', 'log', camp, '--json').stdout) as { status: string };
    assert.strictEqual(shown.status, 'active');
    // and the undo of that rollback brings step 2 back
    const rb = (JSON.parse(run.stdout) as { id: string }).id;
    assert.strictEqual(cli('rollback', 'undo', rb).status, 0);
    for (const r of repos) {
      assert.match(r.read('package.json').toString(), /2\.0\.0/);
      assert.strictEqual(r.read('CHANGES.md').toString(), 'v2\n');
    }
  });

  it('--repo and an anchored --path narrow it to one file of one repo (campaign blame\'s "Revert This Step in This File…")', function () {
    const { repos, cli, camp } = threeSteps();
    const others = fingerprints([repos[1]]);
    const args = ['rollback', '--campaign', camp, '--only-step', '2', '--repo', repos[0].dir, '--path', '/package.json'];
    const dry = cli(...args, '--dry-run', '--json');
    assert.strictEqual(dry.status, 0, dry.stderr);
    type LeftOut = { repo: string; path?: string; reason: string };
    const plan = JSON.parse(dry.stdout) as { repos: { path: string; files: { path: string }[] }[]; leftOut?: LeftOut[] };
    assert.deepStrictEqual(
      plan.repos.map((r) => [r.path, r.files.map((f) => f.path)]),
      [[repos[0].dir, ['package.json']]],
    );
    // the evidence of this partial rollback names what of step 2 it leaves: the other repo, and the step's other file here
    assert.deepStrictEqual(plan.leftOut, [
      { repo: repos[1].dir, reason: 'unticked' },
      { repo: repos[0].dir, path: 'CHANGES.md', reason: 'unticked' },
    ]);
    const run = cli(...args);
    assert.strictEqual(run.status, 0, run.stderr);
    assert.strictEqual(repos[0].read('package.json').toString(), '{\n  "name": "x",\n  "version": "1.0.0",\n  "main": "index.js"\n}\n');
    // the step's other file, the other steps' lines and the other repo stay as they were
    assert.strictEqual(repos[0].read('CHANGES.md').toString(), 'v2\n');
    assert.strictEqual(repos[0].read('src/log.js').toString(), 'const log = require("tracer");\nlog("a");\nlog("b");\nlog("c");\n');
    assert.deepStrictEqual(fingerprints([repos[1]]), others);
  });

  it('a hunk of the step that a later step changed is a conflict at plan time, and nothing is written', function () {
    const { repos, cli, camp } = threeSteps();
    const before = fingerprints(repos);
    // step 1 changed line 1 of src/log.js; step 3 left it, so this applies …
    const dry1 = cli('rollback', '--campaign', camp, '--only-step', '1', '--dry-run', '--json');
    assert.strictEqual(dry1.status, 0, dry1.stderr);
    // … but once the user rewrites that line, the inverse of step 1 no longer applies
    for (const r of repos) r.write('src/log.js', 'const log = require("other");\nlog("a");\nlog("b");\nlog("c");\n');
    const edited = fingerprints(repos);
    const dry = cli('rollback', '--campaign', camp, '--only-step', '1', '--dry-run');
    assert.strictEqual(dry.status, 1, dry.stdout + dry.stderr);
    assert.match(dry.stdout, /CONFLICT src\/log\.js: step 1: changed since/);
    const run = cli('rollback', '--campaign', camp, '--only-step', '1');
    assert.strictEqual(run.status, 1);
    assert.match(run.stderr, /conflict/);
    assert.deepStrictEqual(fingerprints(repos), edited);
    assert.notDeepStrictEqual(edited, before);
  });

  it('a step that committed: HEAD, the index and its files go back; a later uncommitted edit stays', function () {
    const root = kit.tempDir('cc-ws-');
    const repo = kit.repo(path.join(root, 'app'), { 'version.txt': '1\n', 'notes.txt': 'n\n' });
    const store = kit.tempDir('cc-store-');
    const cli = (...args: string[]) => runCli(args, { store });
    const camp = JSON.parse(cli('campaign', 'start', 'agent', '--root', root, '--json').stdout).id as string;
    const before = repo.head();
    repo.write('version.txt', '2\n').commitAll('bump');
    assert.strictEqual(cli('campaign', 'checkpoint', camp).status, 0);
    repo.write('notes.txt', 'n\nmore\n');
    assert.strictEqual(cli('campaign', 'checkpoint', camp).status, 0);
    const run = cli('rollback', '--campaign', camp, '--only-step', '1');
    assert.strictEqual(run.status, 0, run.stderr);
    assert.strictEqual(repo.head(), before);
    assert.strictEqual(repo.read('version.txt').toString(), '1\n');
    assert.strictEqual(repo.read('notes.txt').toString(), 'n\nmore\n');
    assert.strictEqual(repo.git('status', '--porcelain'), ' M notes.txt');
  });

  it('bad arguments: one line and a non-zero exit', function () {
    const { cli, camp } = threeSteps();
    const cases: [string[], RegExp][] = [
      [['rollback', '--campaign', camp, '--only-step', '0'], /--only-step takes a step number/],
      [['rollback', '--campaign', camp, '--only-step', '9'], /has no step 9/],
      [['rollback', '--campaign', camp, '--only-step', '2', '--step', '1'], /--step N or --only-step N/],
      [['rollback', '--campaign', camp, '--only-step', '2', '--mode', 'restore'], /--mode restore cannot/],
      [['rollback', '--snapshot', 'snap_x', '--only-step', '2'], /--only-step goes with --campaign/],
    ];
    for (const [args, message] of cases) {
      const r = cli(...args);
      assert.notStrictEqual(r.status, 0, args.join(' '));
      assert.match(r.stderr, message, args.join(' '));
    }
  });
});
