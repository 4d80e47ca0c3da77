import * as assert from 'assert';
import { RepoKit, runCli } from '../helpers/repoKit';

/** Issue 15, points 19 and 20, as a user meets them in a terminal. */
describe('CLI: the words of a snapshot of unchanged repos, a second campaign on the same repos', function () {
  const kit = new RepoKit();
  afterEach(() => kit.cleanup());

  it('30 nightly snapshots of unchanged repos: one snapshot, every note kept, each create says so', function () {
    const { root } = kit.workspace(2);
    const store = kit.tempDir('cc-store-');
    const ids = new Set<string>();
    for (let n = 1; n <= 30; n++) {
      const made = runCli(['snapshot', 'create', '-m', `nightly ${n}`], { store, cwd: root });
      assert.strictEqual(made.status, 0, made.stderr);
      ids.add(made.stdout.trim());
      if (n === 1) assert.strictEqual(made.stderr, '');
      else assert.match(made.stderr, new RegExp(`nothing changed since snap_[0-9a-f]+ \\("nightly 1"\\).*the note "nightly ${n}" is kept on it`));
    }
    assert.strictEqual(ids.size, 1, 'the stdout of each create is the one id');
    const [id] = [...ids];
    const listed = JSON.parse(runCli(['--json', 'snapshot', 'list'], { store }).stdout) as { id: string; message: string; notes?: { message: string }[] }[];
    assert.deepStrictEqual(
      listed.map((s) => [s.id, s.message, s.notes?.length]),
      [[id, 'nightly 1', 29]],
    );
    assert.deepStrictEqual(listed[0].notes!.map((n) => n.message).slice(0, 2), ['nightly 2', 'nightly 3']);
    const text = runCli(['snapshot', 'list'], { store }).stdout;
    assert.match(text, /nightly 1 · nightly 2 · nightly 3/);
    // the same words twice add nothing; the seal still holds the notes
    runCli(['snapshot', 'create', '-m', 'nightly 30'], { store, cwd: root });
    const verified = runCli(['snapshot', 'verify', id], { store });
    assert.strictEqual(verified.status, 0, verified.stdout + verified.stderr);
    assert.strictEqual((JSON.parse(runCli(['--json', 'snapshot', 'show', id], { store }).stdout) as { notes: unknown[] }).notes.length, 29);
    assert.match(runCli(['snapshot', 'show', id], { store }).stdout, /also "nightly 2" \(/);
  });

  it('a rollback to a snapshot named by a note names it by its words', function () {
    const { root, repos } = kit.workspace(1);
    const store = kit.tempDir('cc-store-');
    const id = runCli(['snapshot', 'create', '-m', 'before the codemod'], { store, cwd: root }).stdout.trim();
    repos[0].write('README.md', 'changed\n');
    const rolled = runCli(['rollback', '--snapshot', id, '--dry-run'], { store, cwd: root });
    assert.match(rolled.stdout, new RegExp(`→ before the codemod \\(${id}\\)`));
  });

  it('campaign start warns on stderr when another active campaign works on the same repos, and says how they interact', function () {
    const { root } = kit.workspace(3);
    const store = kit.tempDir('cc-store-');
    const first = runCli(['campaign', 'start', 'first', '--root', root], { store, cwd: root });
    assert.strictEqual(first.stderr, '');
    const second = runCli(['campaign', 'start', 'second', '--root', root], { store, cwd: root });
    assert.strictEqual(second.status, 0);
    assert.match(second.stdout.trim(), /^camp_[0-9a-f]+$/, 'stdout is still the id alone');
    const firstId = first.stdout.trim();
    assert.match(second.stderr, new RegExp(`warning: campaign first \\(${firstId}\\) is also active on 3 of these 3 repos`));
    assert.match(second.stderr, /a checkpoint of either records the other's edits as its own step/);
    assert.match(second.stderr, /rolling one back to its baseline also undoes the other's work there/);
    const json = JSON.parse(runCli(['--json', 'campaign', 'start', 'third', '--root', root], { store, cwd: root }).stdout) as {
      alsoActive: { name: string }[];
    };
    assert.deepStrictEqual(json.alsoActive.map((o) => o.name).sort(), ['first', 'second']);
  });
});
