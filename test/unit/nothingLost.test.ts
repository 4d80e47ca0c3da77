import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { isDeepStrictEqual } from 'util';
import { checkpointCampaign, startCampaign } from '../../server/src/engine/campaign/campaign';
import { recoverAll } from '../../server/src/engine/rollback/tx/recover';
import { planRollback } from '../../server/src/engine/rollback/plan/plan';
import { listRollbacks } from '../../server/src/engine/rollback/records';
import { executeRollback } from '../../server/src/engine/rollback/tx/transaction';
import { createSnapshot } from '../../server/src/engine/snapshot/snapshot';
import { Store } from '../../server/src/engine/store/store';
import { ProgressEvent } from '../../server/src/engine/util/progress';
import { RepoFingerprint, RepoKit, TestRepo, fingerprints, git, runCli, runCliAsync } from '../helpers/repoKit';
import { isAlive } from '../../server/src/engine/util/processes';
import { assertNoLeftovers, assertOneSide } from '../helpers/sides';
import { forgeManifest } from '../helpers/forge';
import { refused } from '../helpers/refused';
import { encodeLine } from '../../server/src/engine/store/appendLog';

/**
 * "Nothing is ever lost", defect by defect (issue 13): each test is a way the product lost a
 * user's bytes, made again against real repos and the real CLI.
 */

const text = (s: string) => `-:${Buffer.from(s).toString('base64')}`;

describe('nothing is ever lost', function () {
  const kit = RepoKit.forSuite();

  /** `count` repos with a snapshot (the target), then changed: a.txt edited, b.txt removed, new.txt added. */
  async function changedSinceSnapshot(count: number): Promise<{
    store: Store;
    storeDir: string;
    repos: TestRepo[];
    snap: string;
    target: Record<string, RepoFingerprint>;
    before: Record<string, RepoFingerprint>;
  }> {
    const template = kit.repo(path.join(kit.tempDir('cc-tpl-'), 'template'), { 'a.txt': 'a\n', 'b.txt': 'b\n', 'c.txt': 'c\n' });
    const { repos } = kit.copies(template, count);
    const storeDir = kit.tempDir('cc-store-');
    const store = new Store(storeDir);
    const snap = (
      await createSnapshot(
        store,
        repos.map((r) => r.dir),
      )
    ).id;
    const target = fingerprints(repos);
    for (const r of repos) r.write('a.txt', 'changed after the snapshot\n').remove('b.txt').write('new.txt', 'new\n');
    return { store, storeDir, repos, snap, target, before: fingerprints(repos) };
  }

  function journalOf(store: Store): string {
    const dir = store.path('journal');
    return path.join(dir, fs.readdirSync(dir).filter((n) => n.endsWith('.jsonl'))[0]);
  }

  it('1. a torn last journal line: recover acts once; a second recover finds nothing and an edit made between them stays', async function () {
    const { store, storeDir, repos, snap, before } = await changedSinceSnapshot(3);
    const crashed = runCli(['rollback', '--snapshot', snap], { store: storeDir, env: { CODECONTEXT_FAULTS: 'crash-after-commit=2' } });
    assert.strictEqual(crashed.status, -1, crashed.stderr);
    // the kill came in the middle of writing an entry: half a line, no newline
    fs.appendFileSync(journalOf(store), '3f2a9c01d4e5b6a7 {"t":"committed","at":"2026-12-01T0');

    const first = runCli(['recover'], { store: storeDir });
    assert.strictEqual(first.status, 0, first.stdout + first.stderr);
    assert.match(first.stdout, /all 3 repos returned to safety snapshot/);
    assert.deepStrictEqual(fingerprints(repos), before);

    repos[0].write('c.txt', 'work done after the recovery\n');
    const second = runCli(['recover'], { store: storeDir });
    assert.strictEqual(second.status, 0, second.stderr);
    assert.match(second.stdout, /Nothing to recover/);
    assert.strictEqual(repos[0].read('c.txt').toString(), 'work done after the recovery\n');
  });

  it('1. a damaged journal line that is not the last stops recovery with a clear message and changes nothing', async function () {
    const { store, storeDir, repos, snap } = await changedSinceSnapshot(2);
    assert.strictEqual(runCli(['rollback', '--snapshot', snap], { store: storeDir, env: { CODECONTEXT_FAULTS: 'crash-after-commit=1' } }).status, -1);
    const file = journalOf(store);
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    lines[0] = lines[0].replace('"t":"begin"', '"t":"beginX"');
    fs.writeFileSync(file, lines.join('\n'));
    const now = fingerprints(repos);
    const r = runCli(['recover'], { store: storeDir });
    assert.strictEqual(r.status, 1);
    assert.match(r.stdout + r.stderr, /journal line 1 is damaged .* not the last line/);
    assert.deepStrictEqual(fingerprints(repos), now);
  });

  it('1. a damaged last line that held `prepared`: recovery still finds the safety snapshot and brings every repo back', async function () {
    const { store, storeDir, repos, snap, before } = await changedSinceSnapshot(3);
    assert.strictEqual(runCli(['rollback', '--snapshot', snap], { store: storeDir, env: { CODECONTEXT_FAULTS: 'crash-after-commit=2' } }).status, -1);
    const file = journalOf(store);
    // only begin and prepared survive, and prepared is damaged: read as a torn tail
    const lines = fs.readFileSync(file, 'utf8').split('\n').slice(0, 2);
    fs.writeFileSync(file, lines[0] + '\n' + lines[1].slice(0, -3) + 'xx}\n');
    const r = runCli(['recover'], { store: storeDir });
    assert.strictEqual(r.status, 0, r.stdout + r.stderr);
    assert.deepStrictEqual(fingerprints(repos), before);
  });

  it('2. recover keeps (and pins) edits made between the crash and the recovery; the server at start leaves them for the user', async function () {
    const { store, storeDir, repos, snap, before } = await changedSinceSnapshot(3);
    assert.strictEqual(runCli(['rollback', '--snapshot', snap], { store: storeDir, env: { CODECONTEXT_FAULTS: 'crash-after-commit=3' } }).status, -1);
    // the user goes on working before anyone recovers: an edit of a file the rollback wrote, and a new file
    repos[1].write('a.txt', 'typed after the crash\n').write('notes.txt', 'a new file after the crash\n');
    const edited = repos[1].fingerprint();

    // the server's start-up recovery acts only on what the journal knows
    const asked = await recoverAll({ store }, { onlyIfKnown: true });
    assert.deepStrictEqual(
      asked.map((r) => r.action),
      ['needs-confirmation'],
    );
    assert.match(asked[0].message, /a\.txt.*left alone/);
    assert.deepStrictEqual(repos[1].fingerprint(), edited, 'the server changed nothing');

    const r = runCli(['recover'], { store: storeDir });
    assert.strictEqual(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /kept what changed since: .*a\.txt/);
    assert.strictEqual(repos[1].read('a.txt').toString(), 'typed after the crash\n');
    assert.strictEqual(repos[1].read('notes.txt').toString(), 'a new file after the crash\n');
    for (const i of [0, 2]) assert.deepStrictEqual(repos[i].fingerprint(), before[repos[i].dir]);
    // the state recovery found is pinned, so the user's bytes are in an object a ref reaches
    const pins = repos[1].codecontextRefs().filter((ref) => ref.startsWith('refs/codecontext/captures/'));
    assert.strictEqual(pins.length, 1);
    assert.strictEqual(git(repos[1].dir, 'cat-file', 'blob', `${pins[0]}:worktree/a.txt`), 'typed after the crash');
    assert.match(runCli(['recover'], { store: storeDir }).stdout, /Nothing to recover/);
  });

  describe('3. a write that lands during a rollback', function () {
    it('after prepare captured the file: the rollback stops for that repo, every repo goes back, the write is kept', async function () {
      const { store, repos, snap, before } = await changedSinceSnapshot(3);
      const plan = await planRollback({ store }, { snapshot: snap });
      let wrote = false;
      const progress = (e: ProgressEvent) => {
        // every repo is captured and staged: the next step is commit
        if (e.phase === 'prepare' && e.done === e.total && !wrote) {
          fs.appendFileSync(repos[1].file('a.txt'), 'appended by another process\n');
          wrote = true;
        }
      };
      await assert.rejects(executeRollback({ store, progress }, plan), (e: Error & { code?: string }) => {
        assert.strictEqual(e.code, 'ConcurrentWrite');
        assert.match(e.message, /changed by another process/);
        return true;
      });
      assert.ok(wrote);
      assert.strictEqual(repos[1].read('a.txt').toString(), 'changed after the snapshot\nappended by another process\n');
      for (const r of repos) {
        if (r !== repos[1]) assert.deepStrictEqual(r.fingerprint(), before[r.dir], r.dir);
      }
      const expected = { ...before[repos[1].dir].files, 'a.txt': text('changed after the snapshot\nappended by another process\n') };
      assert.deepStrictEqual(repos[1].fingerprint().files, expected);
      assert.strictEqual((await listRollbacks(store))[0].outcome, 'aborted');
    });

    it('after the file was replaced: verify fails, compensation puts the rest back and keeps the write', async function () {
      const { store, repos, snap, before } = await changedSinceSnapshot(2);
      const plan = await planRollback({ store }, { snapshot: snap });
      let wrote = false;
      const progress = (e: ProgressEvent) => {
        if (e.phase === 'commit' && e.repo === repos[0].dir && !wrote) {
          fs.appendFileSync(repos[0].file('a.txt'), 'appended after the rollback wrote it\n');
          wrote = true;
        }
      };
      await assert.rejects(executeRollback({ store, progress }, plan), /VerifyFailed|not in the target state/);
      assert.strictEqual(repos[0].read('a.txt').toString(), 'a\nappended after the rollback wrote it\n');
      const rest = { ...before[repos[0].dir].files, 'a.txt': text('a\nappended after the rollback wrote it\n') };
      assert.deepStrictEqual(repos[0].fingerprint().files, rest);
      assert.deepStrictEqual(repos[1].fingerprint(), before[repos[1].dir]);
      const [rb] = await listRollbacks(store);
      const pack = JSON.parse(fs.readFileSync(rb.evidence, 'utf8'));
      assert.deepStrictEqual(pack.repos.find((r: { path: string }) => r.path === repos[0].dir).kept, ['a.txt']);
    });
  });

  describe('5. never half rolled back', function () {
    it('a ref lock appearing during compensation: that repo stays wholly where it was, the error says recover, and recover finishes', async function () {
      const { store, storeDir, repos, snap, before } = await changedSinceSnapshot(3);
      const branchLock = (r: TestRepo) => path.join(r.dir, '.git', 'refs', 'heads', 'main.lock');
      fs.writeFileSync(branchLock(repos[2]), ''); // repo-02 cannot commit: compensation begins
      const plan = await planRollback({ store }, { snapshot: snap });
      let target0: RepoFingerprint | undefined;
      const progress = (e: ProgressEvent) => {
        if (e.phase === 'commit' && e.repo === repos[0].dir && !target0) {
          target0 = repos[0].fingerprint();
          fs.writeFileSync(path.join(repos[0].dir, '.git', 'HEAD.lock'), ''); // and repo-00 cannot go back
        }
      };
      const e = await refused(executeRollback({ store, progress, parallelism: 1 }, plan), 'RepositoryIsLocked');
      assert.match(e.message, /codecontext recover/);
      assert.ok(target0);
      assert.deepStrictEqual(repos[0].fingerprint(), target0, 'repo-00 is wholly at the target, not half back');
      assert.deepStrictEqual(repos[1].fingerprint(), before[repos[1].dir]);
      assert.strictEqual((await listRollbacks(store))[0].outcome, 'aborted', 'the rollback is recorded');

      fs.rmSync(path.join(repos[0].dir, '.git', 'HEAD.lock'));
      fs.rmSync(branchLock(repos[2]));
      const r = runCli(['recover'], { store: storeDir });
      assert.strictEqual(r.status, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /all 3 repos returned to safety snapshot/);
      assert.deepStrictEqual(fingerprints(repos), before);
      assertNoLeftovers(repos);
    });

    it('a repo moved away mid-rollback: recover names it and --abandon; nothing is made at the old path; --root frees the moved copy', async function () {
      const { store, storeDir, repos, snap, before } = await changedSinceSnapshot(3);
      assert.strictEqual(runCli(['rollback', '--snapshot', snap], { store: storeDir, env: { CODECONTEXT_FAULTS: 'crash-after-commit=3' } }).status, -1);
      const away = path.join(kit.tempDir('cc-away-'), 'moved');
      fs.renameSync(repos[1].dir, away);

      const stuck = runCli(['recover'], { store: storeDir });
      assert.strictEqual(stuck.status, 1);
      assert.match(stuck.stdout, new RegExp(`recover --abandon ${repos[1].dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
      assert.ok(!fs.existsSync(repos[1].dir), 'no folder is made where the repo was');

      const given = runCli(['recover', '--abandon', repos[1].dir], { store: storeDir });
      assert.strictEqual(given.status, 0, given.stdout + given.stderr);
      assert.match(given.stdout, /2 of 3 repos returned to safety snapshot .*given up, left as they are/);
      assert.ok(!fs.existsSync(repos[1].dir));
      for (const i of [0, 2]) assert.deepStrictEqual(repos[i].fingerprint(), before[repos[i].dir]);
      const [rb] = await listRollbacks(store);
      const pack = JSON.parse(fs.readFileSync(rb.evidence, 'utf8'));
      assert.match(pack.repos.find((x: { path: string }) => x.path === repos[1].dir).abandoned, /recover --abandon/);

      assert.ok(fs.existsSync(path.join(away, '.git', 'index.lock')), 'the moved repo still holds the locks');
      const freed = runCli(['recover', '--root', path.dirname(away)], { store: storeDir });
      assert.strictEqual(freed.status, 0, freed.stderr);
      assert.match(freed.stdout, /released the locks left by rb_/);
      assert.ok(!fs.existsSync(path.join(away, '.git', 'index.lock')) && !fs.existsSync(path.join(away, '.git', 'codecontext.lock')));
      assert.match(runCli(['recover'], { store: storeDir }).stdout, /Nothing to recover/);
    });
  });

  it('6. a campaign that rewrote .gitignore: the rollback puts it back and leaves the file it ignored (.env) as it is', async function () {
    const repo = kit.repo(path.join(kit.tempDir('cc-ws-'), 'app'), { '.gitignore': '.env\nnode_modules/\n', 'index.js': 'x\n' });
    repo.write('.env', 'SECRET=1\n').write('node_modules/dep/index.js', 'dep\n');
    const store = new Store(kit.tempDir('cc-store-'));
    const snap = await createSnapshot(store, [repo.dir]);
    const target = repo.fingerprint();
    repo.write('.gitignore', 'node_modules/\n').write('index.js', 'y\n').commitAll('campaign: simpler ignore');
    const plan = await planRollback({ store }, { snapshot: snap.id });
    assert.ok(!plan.repos[0].files.some((f) => f.path === '.env'), 'the plan does not remove .env');
    assert.match(plan.repos[0].notes.join('\n'), /ignored by the target's \.gitignore: \.env/);
    await executeRollback({ store }, plan);
    assert.strictEqual(repo.read('.env').toString(), 'SECRET=1\n');
    assert.deepStrictEqual(repo.fingerprint(), target);
  });

  it(
    '8. replay: an inverse hunk that moved and matches two identical blocks is a conflict, not a guess; one that did not move still ' + 'applies',
    async function () {
      // two identical 7-line blocks: a change to the middle line of one has the same context in both
      const block = ['function helper() {', '  const a = 1;', '  const b = 2;', '  return a + b;', '}', '', '// end'].join('\n') + '\n';
      const original = `header\n${block}middle 1\nmiddle 2\nmiddle 3\nmiddle 4\n${block}footer\n`;
      const root = kit.tempDir('cc-ws-');
      const repo = kit.repo(path.join(root, 'app'), { 'code.js': original });
      const store = new Store(kit.tempDir('cc-store-'));
      const campaign = await startCampaign({ store }, 'rename var', [root]);
      // the campaign changes the second block only
      const lines = original.split('\n');
      lines[15] = '  return a - b;';
      repo.write('code.js', lines.join('\n'));
      await checkpointCampaign({ store }, campaign.id);
      // the user: two lines at the top, and the same edit made by hand in the first block
      const mine = lines.slice();
      mine[4] = '  return a - b;';
      repo.write('code.js', ['// added', '// by the user', ...mine].join('\n'));
      const before = repo.fingerprint();
      const plan = await planRollback({ store }, { campaign: campaign.id, mode: 'replay' });
      const conflict = plan.repos[0].conflicts[0];
      assert.strictEqual(conflict?.path, 'code.js', JSON.stringify(plan.repos[0]));
      assert.match(conflict.reason, /at 2 places \(lines 4, 15\)/);
      await refused(executeRollback({ store }, plan), 'Conflict');
      assert.deepStrictEqual(repo.fingerprint(), before);

      // without the lines at the top the hunk is where the campaign left it: replay applies it and keeps the user's edit
      repo.write('code.js', mine.join('\n'));
      const clean = await planRollback({ store }, { campaign: campaign.id, mode: 'replay' });
      assert.deepStrictEqual(clean.repos[0].conflicts, []);
      await executeRollback({ store }, clean);
      const expected = original.split('\n');
      expected[4] = '  return a - b;';
      assert.strictEqual(repo.read('code.js').toString(), expected.join('\n'));
    },
  );

  describe('9. nested repos and odd names', function () {
    const named = (dir: string, name: Buffer) => Buffer.concat([Buffer.from(dir + '/'), name]);
    const bytesOf = (dir: string) =>
      fs
        .readdirSync(dir, { encoding: 'buffer' })
        .map((n) => n.toString('hex'))
        .sort();

    it('a name that is not UTF-8 is removed and restored by its bytes; a real "\ufffd" file beside it is left alone', async function () {
      const repo = kit.repo(path.join(kit.tempDir('cc-ws-'), 'app'), { 'README.md': 'x\n' });
      const odd = Buffer.from([0x66, 0xff, 0x2e, 0x74, 0x78, 0x74]); // f\xff.txt
      const lookalike = Buffer.from('f\ufffd.txt'); // what a lossy decoding of it reads as
      const latin = Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x2e, 0x6d, 0x64]); // caf\xe9.md, Latin-1
      fs.writeFileSync(named(repo.dir, lookalike), 'a real file with U+FFFD in its name\n');
      fs.writeFileSync(named(repo.dir, latin), 'latin-1 v1\n');
      repo.commitAll('names');
      const store = new Store(kit.tempDir('cc-store-'));
      const snap = await createSnapshot(store, [repo.dir]);
      const names = bytesOf(repo.dir);
      // the campaign adds the odd file and changes the Latin-1 one
      fs.writeFileSync(named(repo.dir, odd), 'added by the campaign\n');
      fs.writeFileSync(named(repo.dir, latin), 'latin-1 v2\n');
      repo.commitAll('campaign');
      const plan = await planRollback({ store }, { snapshot: snap.id });
      const dry = runCli(['rollback', '--snapshot', snap.id, '--dry-run'], { store: store.dir, cwd: repo.dir });
      assert.match(dry.stdout, /remove\s+f\\xff\.txt/, dry.stdout);
      assert.match(dry.stdout, /restore\s+caf\\xe9\.md/, dry.stdout);
      assert.match(plan.repos[0].files.find((f) => f.change === 'remove')!.patch, /^diff --git "a\/f\\377\.txt" "b\/f\\377\.txt"$/m);
      await executeRollback({ store }, plan);
      assert.deepStrictEqual(bytesOf(repo.dir), names);
      assert.strictEqual(fs.readFileSync(named(repo.dir, lookalike), 'utf8'), 'a real file with U+FFFD in its name\n');
      assert.strictEqual(fs.readFileSync(named(repo.dir, latin), 'utf8'), 'latin-1 v1\n');
    });

    it('a nested repo the campaign created (with a commit) is left where it is, and the rollback verifies', async function () {
      const root = kit.tempDir('cc-ws-');
      const repo = kit.repo(path.join(root, 'app'), { 'README.md': 'x\n' });
      const store = new Store(kit.tempDir('cc-store-'));
      const snap = await createSnapshot(store, [repo.dir]);
      repo.write('README.md', 'changed by the campaign\n');
      const nested = kit.repo(path.join(repo.dir, 'vendor', 'lib'), { 'lib.js': 'lib\n' });
      const plan = await planRollback({ store }, { snapshot: snap.id });
      assert.ok(!plan.repos[0].files.some((f) => f.path.startsWith('vendor')), JSON.stringify(plan.repos[0].files.map((f) => f.path)));
      assert.match(plan.repos[0].notes.join('\n'), /nested repos .* left as they are: vendor\/lib/);
      await executeRollback({ store }, plan);
      assert.strictEqual(repo.read('README.md').toString(), 'x\n');
      assert.strictEqual(nested.read('lib.js').toString(), 'lib\n');
    });

    it('a nested `git init` with no commit does not stop snapshots or rollbacks; its files are its own', async function () {
      const root = kit.tempDir('cc-ws-');
      const repo = kit.repo(path.join(root, 'app'), { 'README.md': 'x\n' });
      kit.repo(path.join(repo.dir, 'scratch'), null).write('notes.txt', 'not committed anywhere\n');
      const store = new Store(kit.tempDir('cc-store-'));
      const snap = await createSnapshot(store, [repo.dir]);
      repo.write('README.md', 'changed\n');
      await executeRollback({ store }, await planRollback({ store }, { snapshot: snap.id }));
      assert.strictEqual(repo.read('README.md').toString(), 'x\n');
      assert.strictEqual(repo.read('scratch/notes.txt').toString(), 'not committed anywhere\n');
      const cli = runCli(['snapshot', 'create', '--root', root], { store: store.dir });
      assert.strictEqual(cli.status, 0, cli.stderr);
    });
  });

  describe('10. a campaign run that is killed, or that deletes a repo', function () {
    it('kill -9 mid-run: the commands die with it, and recover records the step with what each repo did', async function () {
      this.timeout(30_000);
      const { root, repos } = kit.workspace(3);
      const storeDir = kit.tempDir('cc-store-');
      const started = JSON.parse(runCli(['campaign', 'start', 'slow edit', '--root', root, '--json'], { store: storeDir }).stdout).id as string;
      // each command edits, says it started, then would edit again much later
      const script = 'echo edited > a.txt; echo $$ > ../$(basename $PWD).pid; sleep 20; echo late > late.txt';
      let child: import('child_process').ChildProcess | undefined;
      const run = runCliAsync(['campaign', 'run', started, '--', 'sh', '-c', script], { store: storeDir, onStart: (c) => (child = c) });
      const pidFiles = repos.map((r) => `${r.dir}.pid`);
      while (!pidFiles.every((f) => fs.existsSync(f) && fs.readFileSync(f, 'utf8').trim())) await new Promise((r) => setTimeout(r, 20));
      child!.kill('SIGKILL');
      await run;
      const pids = pidFiles.map((f) => Number(fs.readFileSync(f, 'utf8')));
      const deadline = Date.now() + 5000;
      while (pids.some((p) => isAlive(p)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.deepStrictEqual(
        pids.filter((p) => isAlive(p)),
        [],
        'no command outlives the run',
      );

      const rec = runCli(['recover'], { store: storeDir });
      assert.strictEqual(rec.status, 0, rec.stdout + rec.stderr);
      assert.match(rec.stdout, /interrupted campaign run was recorded as step 1/);
      const log = runCli(['campaign', 'log', started], { store: storeDir });
      assert.match(log.stdout, /step 1 .*sh -c/);
      assert.match(log.stdout, /3 repos changed/);
      assert.match(log.stdout, /3 repos failed/);
      for (const r of repos) assert.ok(!r.exists('late.txt'), 'nothing edited after the kill');
    });

    it("a step that deletes a repo's .git is still recorded, naming that repo", async function () {
      const { root, repos } = kit.workspace(2);
      const storeDir = kit.tempDir('cc-store-');
      const id = JSON.parse(runCli(['campaign', 'start', 'cleanup', '--root', root, '--json'], { store: storeDir }).stdout).id as string;
      fs.rmSync(path.join(repos[1].dir, '.git'), { recursive: true, force: true });
      repos[0].write('README.md', 'edited\n');
      const r = runCli(['campaign', 'checkpoint', id], { store: storeDir });
      assert.strictEqual(r.status, 0, r.stderr);
      assert.match(r.stdout, /step 1/);
      assert.match(r.stdout, /repo-01: not recorded: not a git repository/);
    });
  });

  it('10. a bisect or a `git am` in progress is refused, naming it', async function () {
    const repo = kit.repo(path.join(kit.tempDir('cc-ws-'), 'app'));
    const store = new Store(kit.tempDir('cc-store-'));
    fs.writeFileSync(path.join(repo.dir, '.git', 'BISECT_LOG'), '# bisect\n');
    await assert.rejects(createSnapshot(store, [repo.dir]), /a bisect is in progress/);
    fs.rmSync(path.join(repo.dir, '.git', 'BISECT_LOG'));
    fs.mkdirSync(path.join(repo.dir, '.git', 'rebase-apply'));
    fs.writeFileSync(path.join(repo.dir, '.git', 'rebase-apply', 'applying'), '');
    await assert.rejects(createSnapshot(store, [repo.dir]), /a `git am` is in progress/);
  });

  it('11. a resealed manifest whose HEAD names a ref of ours (refs/codecontext/…) is refused, and nothing changes', async function () {
    const repo = kit.repo(path.join(kit.tempDir('cc-ws-'), 'app'));
    const store = new Store(kit.tempDir('cc-store-'));
    const snap = await createSnapshot(store, [repo.dir]);
    repo.write('README.md', 'changed\n').commitAll('change');
    const before = repo.fingerprint();
    for (const ref of [`refs/codecontext/snapshots/${snap.id}`, 'refs/remotes/origin/main', 'refs/heads/../x', 'HEAD']) {
      const forged = forgeManifest(store, { ...snap, repos: [{ ...snap.repos[0], ref }] });
      const e = await refused(planRollback({ store }, { snapshot: forged }), 'TamperedManifest');
      assert.match(e.message, /not a branch or tag/);
    }
    assert.deepStrictEqual(repo.fingerprint(), before);
    assert.deepStrictEqual(repo.codecontextRefs(), [`refs/codecontext/snapshots/${snap.id}`]);
  });

  it('14. a stage folder replaced by a symlink: the rollback removes the link, never the files where it points', async function () {
    const { store, repos, snap, target } = await changedSinceSnapshot(1);
    const elsewhere = kit.tempDir('cc-elsewhere-');
    fs.writeFileSync(path.join(elsewhere, 'precious.txt'), 'not ours\n');
    fs.mkdirSync(path.join(elsewhere, 'tree'));
    fs.writeFileSync(path.join(elsewhere, 'tree', 'also.txt'), 'not ours either\n');
    const stage = path.join(repos[0].dir, '.git', 'codecontext-stage');
    fs.rmSync(stage, { recursive: true, force: true });
    fs.symlinkSync(elsewhere, stage);
    await executeRollback({ store }, await planRollback({ store }, { snapshot: snap }));
    assert.deepStrictEqual(repos[0].fingerprint(), target[repos[0].dir]);
    assert.strictEqual(fs.readFileSync(path.join(elsewhere, 'precious.txt'), 'utf8'), 'not ours\n');
    assert.strictEqual(fs.readFileSync(path.join(elsewhere, 'tree', 'also.txt'), 'utf8'), 'not ours either\n');
    assert.ok(!fs.lstatSync(stage, { throwIfNoEntry: false })?.isSymbolicLink(), 'the link is gone');
  });

  describe('when the store can be written by someone else', function () {
    it('12. a forged journal naming a repo outside any rollback: recover changes nothing there and says why', async function () {
      const { store, storeDir, repos } = await changedSinceSnapshot(1);
      const repo = repos[0];
      const now = repo.fingerprint();
      const stateNow = (await createSnapshot(store, [repo.dir])).repos[0];
      const emptyish = { ...stateNow, worktree: git(repo.dir, 'mktree', '--missing') };
      const { path: _p, ...goal } = stateNow;
      const forged = forgeManifest(store, {
        format: 1,
        id: '',
        repos: [{ ...emptyish, path: repo.dir }],
        createdAt: new Date().toISOString(),
        toolVersion: '0.1.0',
        seal: '',
      } as never);
      const rb = 'rb_00000000f0f0';
      const entries = [
        {
          t: 'begin',
          rb,
          at: new Date().toISOString(),
          pid: 999999,
          planHash: 'x',
          kind: 'rollback',
          target: { snapshot: forged, label: 'forged' },
          mode: 'restore',
          repos: [{ path: repo.dir, wave: 0, goal }],
        },
        {
          t: 'prepared',
          at: new Date().toISOString(),
          safety: forged,
          repos: [{ path: repo.dir, state: { head: emptyish.head, ref: emptyish.ref, index: emptyish.index, worktree: emptyish.worktree } }],
        },
      ];
      fs.mkdirSync(store.path('journal'), { recursive: true });
      fs.writeFileSync(store.path('journal', `${rb}.jsonl`), entries.map((e) => encodeLine(e)).join(''));
      const r = runCli(['recover'], { store: storeDir });
      assert.strictEqual(r.status, 1, r.stdout);
      assert.match(r.stdout, /does not hold this rollback's lock, yet is not at its safety state/);
      assert.deepStrictEqual(repo.fingerprint(), now);
      const empty = JSON.stringify({ ...entries[0], repos: [] });
      fs.writeFileSync(store.path('journal', `${rb}.jsonl`), encodeLine(JSON.parse(empty)));
      assert.match(runCli(['recover'], { store: storeDir }).stdout, /the journal names no repo; nothing was changed/);
      assert.deepStrictEqual(repo.fingerprint(), now);
    });

    it('13. a campaign file naming a folder outside its roots, or a ../ path, is refused before any command runs', async function () {
      const { root } = kit.workspace(1);
      const outside = kit.tempDir('cc-outside-');
      const storeDir = kit.tempDir('cc-store-');
      const id = JSON.parse(runCli(['campaign', 'start', 'x', '--root', root, '--json'], { store: storeDir }).stdout).id as string;
      const file = path.join(storeDir, 'campaigns', `${id}.json`);
      const original = JSON.parse(fs.readFileSync(file, 'utf8'));
      for (const bad of [outside, `${root}/../../tmp`]) {
        fs.writeFileSync(file, JSON.stringify({ ...original, repos: [...original.repos, bad] }));
        const r = runCli(['campaign', 'run', id, '--', 'touch', 'ran-here'], { store: storeDir });
        assert.strictEqual(r.status, 1, r.stdout);
        assert.match(r.stderr, /not a folder under the campaign's roots; refused/);
        assert.ok(!fs.existsSync(path.join(outside, 'ran-here')) && !fs.existsSync(path.join(root, 'repo-00', 'ran-here')));
      }
    });
  });

  describe('unclear errors: one clear line, exit 1 (or 2 for usage), nothing changed', function () {
    it(
      'a relative or duplicated repo path in a resealed manifest, an oversized store file, odd --parallel values, a non-pack evidence ' + 'path',
      async function () {
        const { store, storeDir, repos, snap } = await changedSinceSnapshot(1);
        const manifest = JSON.parse(fs.readFileSync(store.path('snapshots', `${snap}.json`), 'utf8'));
        const now = fingerprints(repos);
        for (const [label, repoList] of [
          ['relative', [{ ...manifest.repos[0], path: 'r1' }]],
          ['twice', [manifest.repos[0], manifest.repos[0]]],
        ] as const) {
          const forged = forgeManifest(store, { ...manifest, repos: repoList });
          const r = runCli(['rollback', '--snapshot', forged], { store: storeDir });
          assert.strictEqual(r.status, 1, label);
          assert.match(r.stderr, label === 'relative' ? /not an absolute path: "r1"/ : /names .* twice/, label);
          assert.doesNotMatch(r.stderr, /internal error|can't cd|busy/, label);
        }
        const big = store.path('snapshots', 'snap_00000000000000ff.json');
        fs.writeFileSync(big, '');
        fs.truncateSync(big, 80 * 1024 * 1024);
        const r = runCli(['rollback', '--snapshot', 'snap_00000000000000ff'], { store: storeDir });
        assert.strictEqual(r.status, 1);
        assert.match(r.stderr, /store file: more than 64 MB, the most it may hold; refused/);
        fs.rmSync(big);
        for (const bad of ['1e3', '0x10', '0', '65', ' 8']) {
          const p = runCli(['--parallel', bad, 'snapshot', 'list'], { store: storeDir });
          assert.strictEqual(p.status, 2, bad);
          assert.match(p.stderr, /--parallel takes a whole number from 1 to 64/, bad);
        }
        const secret = path.join(kit.tempDir('cc-secret-'), 'passwords.json');
        fs.writeFileSync(secret, '{"password":"hunter2"}');
        const e = runCli(['evidence', 'show', secret], { store: storeDir });
        assert.strictEqual(e.status, 1);
        assert.match(e.stderr, /not an evidence pack/);
        assert.doesNotMatch(e.stdout + e.stderr, /hunter2/);
        assert.deepStrictEqual(fingerprints(repos), now);
      },
    );

    it('a read-only store: a snapshot or rollback says the store cannot be written, and leaves no pin behind', async function () {
      if (process.getuid?.() === 0) {
        // root writes through permission bits: a read-only bind of the store is what stops it
        const ro = kit.tempDir('cc-ro-');
        const { storeDir, repos, snap } = await changedSinceSnapshot(1);
        execFileSync('mount', ['--bind', storeDir, ro]);
        try {
          execFileSync('mount', ['-o', 'remount,bind,ro', ro]);
          const refsBefore = repos[0].codecontextRefs();
          const s = runCli(['snapshot', 'create', '--repo', repos[0].dir, '-m', 'new'], { store: ro });
          assert.strictEqual(s.status, 1, s.stdout);
          assert.match(s.stderr, /the store cannot be written \((EROFS|ENOENT|EACCES)/);
          const r = runCli(['rollback', '--snapshot', snap], { store: ro });
          assert.strictEqual(r.status, 1);
          assert.match(r.stderr, /the store cannot be written \((EROFS|ENOENT|EACCES).*nothing was changed/);
          assert.deepStrictEqual(repos[0].codecontextRefs(), refsBefore, 'no pin left behind');
        } finally {
          execFileSync('umount', [ro]);
        }
      } else {
        console.log('      (skipped: needs root to bind-mount the store read-only)');
        this.skip();
      }
    });
  });

  describe('4. a store disk that fills up', function () {
    let mount: string | undefined;
    before(function () {
      if (process.platform !== 'linux' || process.getuid?.() !== 0) {
        console.log('      (skipped: needs root to mount a small tmpfs for the store)');
        this.skip();
      }
    });
    // before the kit removes its folders (the outer afterEach runs after this one)
    afterEach(() => {
      if (mount) execFileSync('umount', [mount]);
      mount = undefined;
    });

    it('at every amount of free room: each repo ends on one side, and once there is room, recover and undo work', async function () {
      this.timeout(240_000);
      mount = kit.tempDir('cc-full-');
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mount]);
      const storeDir = path.join(mount, 'store');
      const template = kit.repo(
        path.join(kit.tempDir('cc-tpl-'), 'template'),
        Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`f${i}.txt`, `${i}\n`.repeat(50)])),
      );
      const { repos } = kit.copies(template, 4);
      const snap = runCli(['snapshot', 'create', '--json', ...repos.flatMap((r) => ['--repo', r.dir])], { store: storeDir });
      assert.strictEqual(snap.status, 0, snap.stderr);
      const snapId = JSON.parse(snap.stdout).id as string;
      const target = fingerprints(repos);
      const outcomes: string[] = [];
      const messages = new Set<string>();
      const fill = path.join(mount, 'fill');
      // free room from none to plenty, in pages: each run fails at a later write, or not at all
      for (let free = 0; free <= 26; free += free < 8 ? 1 : 6) {
        for (const r of repos) r.write('f1.txt', `changed, run ${free}\n`).remove('f2.txt').write('mine.txt', `user file ${free}\n`);
        const before = fingerprints(repos);
        fs.rmSync(fill, { force: true });
        const avail = Number(execFileSync('df', ['--output=avail', '-B1', mount], { encoding: 'utf8' }).split('\n')[1]);
        fs.writeFileSync(fill, Buffer.alloc(Math.max(0, avail - free * 4096)));
        const run = runCli(['rollback', '--snapshot', snapId, '--force'], { store: storeDir });
        fs.rmSync(fill, { force: true });
        const rec = runCli(['recover'], { store: storeDir });
        assert.strictEqual(rec.status, 0, `free ${free} pages: recover: ${rec.stdout}${rec.stderr} (rollback: ${run.stderr})`);
        const side = assertOneSide(repos, before, target, `free ${free} pages (${run.stderr.trim()})`);
        assertNoLeftovers(repos);
        outcomes.push(`${free}:${run.status === 0 ? 'ok' : run.stderr.includes('ENOSPC') || run.stderr.includes('no space') ? 'ENOSPC' : 'error'}→${side}`);
        if (run.status !== 0) messages.add(run.stderr.trim());
        if (run.status !== 0) assert.doesNotMatch(run.stderr, /internal error/, run.stderr);
        if (side === 'target') {
          const list = JSON.parse(runCli(['rollback', 'list', '--json'], { store: storeDir }).stdout) as {
            id: string;
            kind: string;
            outcome: string;
            undoneBy?: string;
          }[];
          const last = list.find((r) => r.kind === 'rollback' && r.outcome === 'committed' && !r.undoneBy);
          assert.ok(last, `free ${free}: the committed rollback is listed`);
          const undo = runCli(['rollback', 'undo', last.id, '--force'], { store: storeDir });
          assert.strictEqual(undo.status, 0, `free ${free}: undo: ${undo.stderr}`);
          assert.ok(isDeepStrictEqual(fingerprints(repos), before), `free ${free}: undo brings back the state before`);
        }
        runCli(['rollback', '--snapshot', snapId, '--force'], { store: storeDir }); // back to the target for the next round
      }
      console.log(`      free pages:outcome→side  ${outcomes.join('  ')}`);
      for (const m of messages) console.log(`      ${m}`);
      assert.ok(
        outcomes.some((o) => o.includes('ENOSPC')),
        `some run must hit a full store: ${outcomes.join(' ')}`,
      );
      assert.ok(
        outcomes.some((o) => o.startsWith('26:ok')),
        `with room the rollback succeeds: ${outcomes.join(' ')}`,
      );
    });
  });
});
