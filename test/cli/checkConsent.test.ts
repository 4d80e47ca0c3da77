import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { RepoKit, TestRepo, fingerprints, gitEnv, runCli } from '../helpers/repoKit';

/**
 * Issue 21 item 4: a repo's own `.codecontext.json` check is repo content, so it runs only once the
 * user consented to that exact command in that repo; an undo runs only what its rollback ran.
 */
describe("rollback: a repo's own check runs only with consent", function () {
  const kit = RepoKit.forSuite();

  /** A command that appends `tag` to a marker file beside the repos: proof that it ran, and how often. */
  function marking(root: string, tag: string): string {
    return `node -e "require('fs').appendFileSync('${path.join(root, 'ran.log')}', '${tag};')"`;
  }

  function ran(root: string): string[] {
    const file = path.join(root, 'ran.log');
    return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split(';').filter(Boolean) : [];
  }

  /** One repo whose committed config declares `command` as its check, a snapshot, then a campaign-like change. */
  function cloned(command: string): { root: string; repo: TestRepo; store: string; snap: string } {
    const root = kit.tempDir('cc-ws-');
    const repo = kit.repo(path.join(root, 'app'), { 'README.md': 'app\n', '.codecontext.json': JSON.stringify({ check: command }) });
    const store = kit.tempDir('cc-store-');
    const snap = JSON.parse(runCli(['snapshot', 'create', '--root', root, '--json'], { store }).stdout).id as string;
    repo.write('README.md', 'changed by the campaign\n');
    return { root, repo, store, snap };
  }

  function storeHolds(store: string, folder: string): string[] {
    return fs.existsSync(path.join(store, folder)) ? fs.readdirSync(path.join(store, folder)) : [];
  }

  it('a plain rollback refuses, before anything is locked or journaled, naming repo, command and how to consent; the check never runs', function () {
    const { root, repo, store, snap } = cloned('');
    const command = marking(root, 'repo-check');
    repo.write('.codecontext.json', JSON.stringify({ check: command }));
    // the snapshot holds the check now (the rollback leaves it, so it is the one that would run)
    const snap2 = JSON.parse(runCli(['snapshot', 'create', '--root', root, '--json'], { store }).stdout).id as string;
    assert.notStrictEqual(snap2, snap);
    repo.write('README.md', 'changed again\n');
    const before = fingerprints([repo]);
    const r = runCli(['rollback', '--snapshot', snap2], { store });
    assert.strictEqual(r.status, 1, r.stdout);
    const lines = r.stderr.trim().split('\n');
    assert.strictEqual(lines.length, 1, r.stderr);
    assert.ok(lines[0].includes(repo.dir), r.stderr);
    assert.ok(lines[0].includes(`\`${command}\``), r.stderr);
    assert.match(lines[0], /--trust-repo-checks/);
    assert.match(lines[0], /nothing was changed/);
    assert.deepStrictEqual(ran(root), [], 'the check did not run');
    assert.deepStrictEqual(fingerprints([repo]), before);
    assert.deepStrictEqual(storeHolds(store, 'journal'), [], 'nothing journaled');
    assert.deepStrictEqual(storeHolds(store, 'rollbacks'), [], 'no rollback recorded');
    assert.strictEqual(fs.existsSync(path.join(repo.dir, '.git', 'codecontext.lock')), false);

    const json = runCli(['rollback', '--snapshot', snap2, '--json'], { store });
    assert.strictEqual(JSON.parse(json.stdout).error.code, 'ChecksNeedConsent');

    // the dry run says which check would run, and that it needs consent
    const dry = runCli(['rollback', '--snapshot', snap2, '--dry-run'], { store });
    assert.strictEqual(dry.status, 0, dry.stderr);
    assert.ok(dry.stdout.includes(`check after it commits: ${command}  (its .codecontext.json; needs --trust-repo-checks)`), dry.stdout);
    assert.deepStrictEqual(ran(root), []);
  });

  it('--trust-repo-checks records consent and runs it; the consent holds for that exact command only, so a changed one asks again', function () {
    const root = kit.tempDir('cc-ws-');
    const command = marking(root, 'v1');
    const repo = kit.repo(path.join(root, 'app'), { 'README.md': 'app\n', '.codecontext.json': JSON.stringify({ check: command }) });
    const store = kit.tempDir('cc-store-');
    const snap = JSON.parse(runCli(['snapshot', 'create', '--root', root, '--json'], { store }).stdout).id as string;
    repo.write('README.md', 'changed\n');

    const trusted = runCli(['rollback', '--snapshot', snap, '--trust-repo-checks'], { store });
    assert.strictEqual(trusted.status, 0, trusted.stderr);
    assert.deepStrictEqual(ran(root), ['v1']);
    assert.strictEqual(repo.read('README.md').toString(), 'app\n');
    const consent = JSON.parse(fs.readFileSync(path.join(store, 'consent', 'repoChecks.json'), 'utf8'));
    assert.deepStrictEqual(
      consent.checks.map((c: { repo: string; command: string }) => [c.repo, c.command]),
      [[repo.dir, command]],
    );

    // the same command in the same repo: allowed now, without the flag
    repo.write('README.md', 'changed twice\n');
    const again = runCli(['rollback', '--snapshot', snap], { store });
    assert.strictEqual(again.status, 0, again.stderr);
    assert.deepStrictEqual(ran(root), ['v1', 'v1']);

    // the command changed (one more character): asked again, so a plain rollback refuses
    const changed = marking(root, 'v2');
    repo.write('.codecontext.json', JSON.stringify({ check: changed }));
    const snap2 = JSON.parse(runCli(['snapshot', 'create', '--root', root, '--json'], { store }).stdout).id as string;
    repo.write('README.md', 'changed thrice\n');
    const before = fingerprints([repo]);
    const refused = runCli(['rollback', '--snapshot', snap2], { store });
    assert.strictEqual(refused.status, 1);
    assert.ok(refused.stderr.includes(`\`${changed}\``), refused.stderr);
    assert.deepStrictEqual(fingerprints([repo]), before);
    assert.deepStrictEqual(ran(root), ['v1', 'v1']);

    // the same command in another repo (a copy elsewhere) is another consent
    const other = kit.repo(path.join(root, 'copy'), { 'README.md': 'copy\n', '.codecontext.json': JSON.stringify({ check: command }) });
    const snap3 = JSON.parse(runCli(['snapshot', 'create', '--root', other.dir, '--json'], { store }).stdout).id as string;
    other.write('README.md', 'changed\n');
    const elsewhere = runCli(['rollback', '--snapshot', snap3], { store });
    assert.strictEqual(elsewhere.status, 1);
    assert.ok(elsewhere.stderr.startsWith(`codecontext: ${other.dir}: `), elsewhere.stderr);
  });

  it('a command that would not look like itself (a newline, a bidi override) is shown escaped, on one line', function () {
    const root = kit.tempDir('cc-ws-');
    const command = 'echo ok\u202e # \n' + marking(root, 'hidden');
    const repo = kit.repo(path.join(root, 'app'), { 'README.md': 'app\n', '.codecontext.json': JSON.stringify({ check: command }) });
    const store = kit.tempDir('cc-store-');
    const snap = JSON.parse(runCli(['snapshot', 'create', '--root', root, '--json'], { store }).stdout).id as string;
    repo.write('README.md', 'changed\n');
    const r = runCli(['rollback', '--snapshot', snap], { store });
    assert.strictEqual(r.status, 1);
    assert.strictEqual(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.ok(r.stderr.includes('echo ok\\u202e # \\nnode -e'), r.stderr);
    assert.ok(!r.stderr.includes('\u202e'), 'the override itself is not printed');
    assert.deepStrictEqual(ran(root), []);
  });

  it('--skip-repo-checks rolls back without running the check, and names it', function () {
    const root = kit.tempDir('cc-ws-');
    const command = marking(root, 'skipped');
    const repo = kit.repo(path.join(root, 'app'), { 'README.md': 'app\n', '.codecontext.json': JSON.stringify({ check: command }) });
    const store = kit.tempDir('cc-store-');
    const snap = JSON.parse(runCli(['snapshot', 'create', '--root', root, '--json'], { store }).stdout).id as string;
    repo.write('README.md', 'changed\n');
    const r = runCli(['rollback', '--snapshot', snap, '--skip-repo-checks'], { store });
    assert.strictEqual(r.status, 0, r.stderr);
    assert.ok(r.stderr.includes(`not running`) && r.stderr.includes(`\`${command}\``), r.stderr);
    assert.strictEqual(repo.read('README.md').toString(), 'app\n');
    assert.deepStrictEqual(ran(root), []);
    assert.strictEqual(runCli(['rollback', '--snapshot', snap, '--skip-repo-checks', '--trust-repo-checks'], { store }).status, 2);
    assert.match(runCli(['rollback', '--help'], { store }).stdout, /REFUSED before anything is locked[\s\S]*--skip-repo-checks/);
  });

  it("undo never runs a check a campaign's bot wrote, which the rollback did not run; it runs one the rollback ran", function () {
    const root = kit.tempDir('cc-ws-');
    const repo = kit.repo(path.join(root, 'app'), { 'README.md': 'app\n' });
    const store = kit.tempDir('cc-store-');
    const snap = JSON.parse(runCli(['snapshot', 'create', '--root', root, '--json'], { store }).stdout).id as string;
    // the bot's change: a config with a check of its own
    const bots = marking(root, 'bot');
    repo.write('.codecontext.json', JSON.stringify({ check: bots })).write('README.md', 'bot\n');
    const rb = runCli(['rollback', '--snapshot', snap, '--json'], { store });
    assert.strictEqual(rb.status, 0, rb.stderr);
    assert.strictEqual(repo.exists('.codecontext.json'), false);
    const undo = runCli(['rollback', 'undo', JSON.parse(rb.stdout).id], { store });
    assert.strictEqual(undo.status, 0, undo.stderr);
    assert.strictEqual(repo.read('.codecontext.json').toString(), JSON.stringify({ check: bots }), 'the bot file is back');
    assert.deepStrictEqual(ran(root), [], "the bot's check did not run");
    assert.ok(undo.stderr.includes(`not running`) && undo.stderr.includes(`\`${bots}\``) && undo.stderr.includes('did not run it'), undo.stderr);
    // even a consent recorded for that very command does not make an undo run what its rollback did not
    fs.mkdirSync(path.join(store, 'consent'), { recursive: true });
    fs.writeFileSync(
      path.join(store, 'consent', 'repoChecks.json'),
      JSON.stringify({ format: 1, checks: [{ repo: repo.dir, command: bots, at: new Date().toISOString() }] }),
    );
    const rb2 = runCli(['rollback', '--snapshot', snap, '--json'], { store });
    assert.strictEqual(rb2.status, 0, rb2.stderr);
    const undo2 = runCli(['rollback', 'undo', JSON.parse(rb2.stdout).id], { store });
    assert.strictEqual(undo2.status, 0, undo2.stderr);
    assert.deepStrictEqual(ran(root), []);

    // a check the rollback ran (consented) runs again in its undo
    const root2 = kit.tempDir('cc-ws-');
    const own = marking(root2, 'own');
    const app = kit.repo(path.join(root2, 'app'), { 'README.md': 'app\n', '.codecontext.json': JSON.stringify({ check: own }) });
    const snap2 = JSON.parse(runCli(['snapshot', 'create', '--root', root2, '--json'], { store }).stdout).id as string;
    app.write('README.md', 'changed\n');
    const rb3 = runCli(['rollback', '--snapshot', snap2, '--trust-repo-checks', '--json'], { store });
    assert.strictEqual(rb3.status, 0, rb3.stderr);
    const undo3 = runCli(['rollback', 'undo', JSON.parse(rb3.stdout).id], { store });
    assert.strictEqual(undo3.status, 0, undo3.stderr);
    assert.deepStrictEqual(ran(root2), ['own', 'own']);
    assert.strictEqual(app.read('README.md').toString(), 'changed\n');
  });

  it('on a terminal each command is asked about, y/N: "n" refuses, "y" records consent and runs it', function () {
    if (process.platform === 'win32' || spawnSync('script', ['--version']).status !== 0) this.skip();
    const root = kit.tempDir('cc-ws-');
    const command = marking(root, 'asked');
    const repo = kit.repo(path.join(root, 'app'), { 'README.md': 'app\n', '.codecontext.json': JSON.stringify({ check: command }) });
    const store = kit.tempDir('cc-store-');
    const snap = JSON.parse(runCli(['snapshot', 'create', '--root', root, '--json'], { store }).stdout).id as string;
    repo.write('README.md', 'changed\n');
    const cli = path.resolve(__dirname, '../../../dist/cli.js');
    // util-linux `script` gives the CLI a terminal; the answer is typed into it
    const onTty = (answer: string) =>
      spawnSync('script', ['-qec', `${JSON.stringify(process.execPath)} ${JSON.stringify(cli)} rollback --snapshot ${snap}`, '/dev/null'], {
        input: answer,
        env: { ...gitEnv, CODECONTEXT_HOME: store },
        encoding: 'utf8',
      });
    const no = onTty('n\n');
    assert.match(no.stdout, /run `node -e .*`\? \[y\/N\]/);
    assert.match(no.stdout, /--trust-repo-checks/);
    assert.deepStrictEqual(ran(root), []);
    assert.strictEqual(repo.read('README.md').toString(), 'changed\n');
    const yes = onTty('y\n');
    assert.match(yes.stdout, /committed/, yes.stdout);
    assert.deepStrictEqual(ran(root), ['asked']);
    assert.strictEqual(repo.read('README.md').toString(), 'app\n');
  });
});
