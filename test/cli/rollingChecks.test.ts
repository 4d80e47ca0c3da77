import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { RepoKit, TestRepo, fingerprints, runCli } from '../helpers/repoKit';

/** Rolling verification (issue 14, part 5): each repo's own check after it commits, in dependency order. */
describe('rollback --check', function () {
  const kit = RepoKit.forSuite();

  /** a ← b ← c (c depends on b, b on a: c is rolled back first), a snapshot, then a change in each. */
  function chain(ownCheck?: string): { root: string; repos: TestRepo[]; store: string; snap: string } {
    const root = kit.tempDir('cc-ws-');
    const repos = ['a', 'b', 'c'].map((n, i) =>
      kit.repo(path.join(root, n), {
        'README.md': `${n}\n`,
        ...(i ? { '.codecontext.json': JSON.stringify({ dependsOn: [`../${'abc'[i - 1]}`], ...(ownCheck && n === 'c' ? { check: ownCheck } : {}) }) } : {}),
      }),
    );
    const store = kit.tempDir('cc-store-');
    const snap = JSON.parse(runCli(['snapshot', 'create', '--root', root, '--json'], { store }).stdout).id as string;
    for (const r of repos) r.write('README.md', 'changed by the campaign\n');
    return { root, repos, store, snap };
  }
  // fails where .git/fail-check exists; says where it ran, so the order can be read back
  const check = `sh -c 'echo "checked $(basename "$PWD")" >> ../order.log; echo "health ok in $(basename "$PWD")"; test ! -f .git/fail-check'`;

  it('a check that fails in the middle of the chain leaves every repo exactly as before, naming repo, command and exit code', function () {
    const { root, repos, store, snap } = chain();
    fs.writeFileSync(path.join(repos[1].dir, '.git', 'fail-check'), '');
    const before = fingerprints(repos);
    const r = runCli(['rollback', '--snapshot', snap, '--check', check], { store });
    assert.strictEqual(r.status, 1, r.stdout);
    assert.match(r.stderr, new RegExp(`${repos[1].dir}: the check \`sh -c .*\` failed \\(exit 1\\).*every changed repo was returned to the safety snapshot`));
    assert.deepStrictEqual(fingerprints(repos), before);
    assert.deepStrictEqual(fs.readFileSync(path.join(root, 'order.log'), 'utf8').trim().split('\n'), ['checked c', 'checked b'], 'a never started');
  });

  it('a check that passes everywhere commits, in dependency order, and every check is in the evidence; --dry-run says where checks run', function () {
    const { root, repos, store, snap } = chain();
    const dry = runCli(['rollback', '--snapshot', snap, '--check', check, '--dry-run'], { store });
    assert.strictEqual((dry.stdout.match(/check after it commits: sh -c/g) ?? []).length, 3, dry.stdout);
    const r = runCli(['rollback', '--snapshot', snap, '--check', check, '--json'], { store });
    assert.strictEqual(r.status, 0, r.stderr);
    for (const repo of repos) assert.strictEqual(repo.read('README.md').toString().trim(), path.basename(repo.dir));
    assert.deepStrictEqual(fs.readFileSync(path.join(root, 'order.log'), 'utf8').trim().split('\n'), ['checked c', 'checked b', 'checked a']);
    const pack = JSON.parse(fs.readFileSync(JSON.parse(r.stdout).evidence, 'utf8'));
    assert.deepStrictEqual(
      pack.checks.map((c: { repo: string; exitCode: number }) => [path.basename(c.repo), c.exitCode]),
      [
        ['c', 0],
        ['b', 0],
        ['a', 0],
      ],
    );
    assert.match(pack.checks[0].outputTail, /health ok in c/);
    assert.ok(pack.checks.every((c: { durationMs: number; command: string }) => c.durationMs >= 0 && c.command === check));
    const shown = runCli(['evidence', 'show', JSON.parse(r.stdout).id], { store });
    assert.strictEqual((shown.stdout.match(/^ {2}check `sh -c .*`: exit 0 in \d+ ms$/gm) ?? []).length, 3, shown.stdout);
  });

  it("a repo's own .codecontext.json check runs once consented to (--trust-repo-checks); a check that hangs times out and puts everything back", function () {
    const { repos, store, snap } = chain();
    const before = fingerprints(repos);
    const slow = runCli(['rollback', '--snapshot', snap, '--check', 'sleep 30', '--check-timeout', '1'], { store });
    assert.strictEqual(slow.status, 1);
    assert.match(slow.stderr, /the check `sleep 30` did not finish within 1 s/);
    assert.deepStrictEqual(fingerprints(repos), before);

    const shell = runCli(['rollback', '--snapshot', snap, '--check', 'npm test && echo ok'], { store });
    assert.strictEqual(shell.status, 1);
    assert.match(shell.stderr, /runs without a shell, so .* cannot use "&&"/);
    // a shell would expand $HOME; without one it must not quietly become an empty word
    const variable = runCli(['rollback', '--snapshot', snap, '--check', 'test -d $HOME'], { store });
    assert.strictEqual(variable.status, 1);
    assert.match(variable.stderr, /cannot use the variable \$HOME; put it in a script/);
    assert.deepStrictEqual(fingerprints(repos), before);

    // a repo's own check that needs a shell is refused before any repo changes, not after one commits
    const needsShell = chain('test -d $HOME');
    const needsShellBefore = fingerprints(needsShell.repos);
    const refused = runCli(['rollback', '--snapshot', needsShell.snap, '--trust-repo-checks'], { store: needsShell.store });
    assert.strictEqual(refused.status, 1);
    assert.match(refused.stderr, /its \.codecontext\.json "check": the check runs without a shell, so .* cannot use the variable \$HOME.*nothing was changed/);
    assert.deepStrictEqual(fingerprints(needsShell.repos), needsShellBefore);

    const own = chain("sh -c 'echo c is not healthy; exit 4'");
    const ownBefore = fingerprints(own.repos);
    const r = runCli(['rollback', '--snapshot', own.snap, '--trust-repo-checks'], { store: own.store });
    assert.strictEqual(r.status, 1);
    assert.match(r.stderr, /c: the check `sh -c 'echo c is not healthy; exit 4'` failed \(exit 4\): c is not healthy/);
    assert.deepStrictEqual(fingerprints(own.repos), ownBefore);
  });
});
