import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { isDeepStrictEqual } from 'util';
import { checkpointCampaign, startCampaign } from '../../server/src/engine/campaign/campaign';
import { listRollbacks } from '../../server/src/engine/rollback/records';
import { createSnapshot } from '../../server/src/engine/snapshot/snapshot';
import { Store } from '../../server/src/engine/store/store';
import { RepoFingerprint, RepoKit, TestRepo, changeEveryKind, fingerprints, gitEnv, runCli, seedEveryKind } from '../helpers/repoKit';
import { assertNoLeftovers, assertOneSide } from '../helpers/sides';

/**
 * Crashes are real: the CLI runs as a child process and dies by SIGKILL at a fault point
 * (CODECONTEXT_FAULTS), so each kill lands where the test says, every run. `codecontext recover` must then bring
 * every repo wholly to one side — all at the target or all as before — and lose nothing.
 */

describe('rollback crash and recovery (CLI killed)', function () {
  const kit = new RepoKit();
  after(() => kit.cleanup());

  describe('at each fault point', function () {
    let storeDir: string;
    let campaign: string;
    let repos: TestRepo[];
    let start: Record<string, RepoFingerprint>;
    let target: Record<string, RepoFingerprint>;

    before(async function () {
      ({ repos } = kit.copies(seedEveryKind(kit.repo(path.join(kit.tempDir('cc-tpl-'), 'template'))), 4));
      storeDir = kit.tempDir('cc-store-');
      const ctx = { store: new Store(storeDir) };
      const root = path.dirname(repos[0].dir);
      target = fingerprints(repos);
      campaign = (await startCampaign(ctx, 'every kind', [root])).id;
      repos.forEach((r, i) => changeEveryKind(r, i % 2 === 0));
      await checkpointCampaign(ctx, campaign);
      // the user's own work since the campaign: the forced rollback removes it, recovery must bring it back
      repos[1].write('mine.txt', 'untracked, made after the campaign\n').write('notes.txt', 'edited after the campaign\n');
      start = fingerprints(repos);
      // the ignored file the campaign changed stays as it is now, whatever the side
      for (const r of repos) target[r.dir].files['app.log'] = start[r.dir].files['app.log'];
    });

    for (const fault of ['crash-after-prepare', 'crash-after-commit=1', 'crash-after-commit=3', 'crash-before-verify']) {
      it(`${fault}: recover returns every repo to where it was, untracked files included`, async function () {
        assert.deepStrictEqual(fingerprints(repos), start, 'starts from the state before');
        const crashed = runCli(['rollback', '--campaign', campaign, '--force'], { store: storeDir, env: { CODECONTEXT_FAULTS: fault } });
        assert.strictEqual(crashed.status, -1, `killed, not exited: ${crashed.stdout}${crashed.stderr}`);
        if (fault === 'crash-after-prepare') assert.deepStrictEqual(fingerprints(repos), start, 'nothing changed before the crash');
        else
          assert.ok(
            repos.some((r) => !isDeepStrictEqual(r.fingerprint(), start[r.dir])),
            'the crash left repos changed',
          );

        const recovered = runCli(['recover'], { store: storeDir });
        assert.strictEqual(recovered.status, 0, recovered.stderr);
        assert.match(
          recovered.stdout,
          fault === 'crash-after-prepare' ? /returned to safety snapshot|nothing had changed/ : /all 4 repos returned to safety snapshot/,
        );
        assert.strictEqual(assertOneSide(repos, start, target, fault), 'before');
        assertNoLeftovers(repos);
        assert.strictEqual((await listRollbacks(new Store(storeDir)))[0].outcome, 'recovered');
        assert.match(runCli(['recover'], { store: storeDir }).stdout, /Nothing to recover/);
      });
    }
  });

  it("a kill that left our lock but not our index.lock: recover takes index.lock anew, and never removes one of git's", async function () {
    // What a kill leaves before index.lock was taken, or between the two removals of a release.
    // Made by hand from a crash after prepare, since no fault point is there.
    const { repos } = kit.copies(seedEveryKind(kit.repo(path.join(kit.tempDir('cc-tpl-'), 'template'))), 1);
    const repo = repos[0];
    const storeDir = kit.tempDir('cc-store-');
    const store = new Store(storeDir);
    const snap = await createSnapshot(store, [repo.dir]);
    changeEveryKind(repo, true);
    const before = repo.fingerprint();
    const run = runCli(['rollback', '--snapshot', snap.id], { store: storeDir, env: { CODECONTEXT_FAULTS: 'crash-after-prepare' } });
    assert.strictEqual(run.status, -1);
    const gitDir = path.join(repo.dir, '.git');
    const indexLock = path.join(gitDir, 'index.lock');
    assert.match(fs.readFileSync(indexLock, 'utf8'), /"rb":"rb_/);
    assert.match(fs.readFileSync(path.join(gitDir, 'codecontext.lock'), 'utf8'), /"rb":"rb_/);
    // and cut the journal back to its begin entry, as if the kill came during prepare
    const journal = path.join(store.path('journal'), fs.readdirSync(store.path('journal'))[0]);
    fs.writeFileSync(journal, fs.readFileSync(journal, 'utf8').split('\n')[0] + '\n');

    // git took index.lock since: it is git's, so recovery waits, then refuses and leaves it
    fs.rmSync(indexLock);
    fs.writeFileSync(indexLock, '');
    const refused = runCli(['recover'], { store: storeDir });
    assert.notStrictEqual(refused.status, 0, refused.stdout + refused.stderr);
    assert.match(refused.stdout + refused.stderr, /index\.lock is held by another process/);
    assert.ok(fs.existsSync(indexLock), "git's index.lock is never removed");

    fs.rmSync(indexLock);
    const recovered = runCli(['recover'], { store: storeDir });
    assert.strictEqual(recovered.status, 0, recovered.stdout + recovered.stderr);
    // the journal lost `prepared`, but the safety snapshot was saved: recovery compensates from it, which moves nothing here
    assert.match(recovered.stdout, /stopped during prepare; nothing had changed; locks released|1 repo returned to safety snapshot/);
    assert.deepStrictEqual(repo.fingerprint(), before);
    assertNoLeftovers(repos);
  });

  it('SIGKILL at fixed moments of a 60-repo rollback (prepare, pinning, writing, committing), each where planned: one side after recover', async function () {
    const template = kit.repo(path.join(kit.tempDir('cc-tpl-'), 'template'), { 'a.txt': 'a\n', 'b.txt': 'b\n' });
    const { repos } = kit.copies(template, 60);
    const storeDir = kit.tempDir('cc-store-');
    const store = new Store(storeDir);
    const snap = await createSnapshot(
      store,
      repos.map((r) => r.dir),
    );
    const target = fingerprints(repos);
    for (const r of repos) r.write('a.txt', 'changed after the snapshot\n').write('mine.txt', "the user's untracked file\n").remove('b.txt');
    const before = fingerprints(repos);
    const journalDir = store.path('journal');
    const journals = () => (fs.existsSync(journalDir) ? fs.readdirSync(journalDir) : []);
    /** The entry kinds of the newest run's journal (the one `begun` journals did not hold), in order. */
    const entriesOfRun = (begun: readonly string[]) => {
      const file = journals().find((f) => !begun.includes(f));
      assert.ok(file, 'the killed run wrote a journal');
      return [...fs.readFileSync(path.join(journalDir, file), 'utf8').matchAll(/"t":"(\w+)"/g)].map((m) => m[1]);
    };
    const count = (entries: string[], t: string) => entries.filter((e) => e === t).length;
    const cli = path.resolve(__dirname, '../../../dist/cli.js');

    // A fault point kills the CLI at a named moment (util/faults.ts), never at a random time: each
    // kill either lands where planned, which the journal and the repos then show, or the test fails.
    // With 3 file operations per repo, fileop#91 is in the middle of the commit phase.
    const moments: { at: string; landed: (entries: string[]) => void }[] = [
      { at: 'append:begin#1', landed: (e) => assert.deepStrictEqual(e, ['begin']) },
      { at: 'pin#30', landed: (e) => assert.deepStrictEqual(e, ['begin'], 'killed while the safety snapshot was being pinned') },
      {
        at: 'fileop#91',
        landed: (e) => {
          assert.ok(e.includes('prepared') && !e.includes('verified'), `killed in the commit phase: ${e.join(' ')}`);
          assert.ok(count(e, 'committed') < 60, 'before every repo had committed');
        },
      },
      {
        at: 'append:committed#37',
        landed: (e) => {
          // committed entries are synced in groups: the kill comes after the 37th, with at most its group after it
          assert.ok(count(e, 'committed') >= 37 && count(e, 'committed') < 60 && !e.includes('verified'), `after 37 repos committed: ${e.join(' ')}`);
        },
      },
    ];
    for (const moment of moments) {
      const begun = journals();
      const killed = spawnSync(process.execPath, [cli, 'rollback', '--snapshot', snap.id], {
        env: { ...gitEnv, CODECONTEXT_HOME: storeDir, CODECONTEXT_FAULTS: `kill-at=${moment.at}` },
        encoding: 'utf8',
      });
      assert.strictEqual(killed.signal, 'SIGKILL', `${moment.at}: killed by its fault point, not exited: ${killed.stdout}${killed.stderr}`);
      moment.landed(entriesOfRun(begun));
      if (moment.at.startsWith('fileop') || moment.at.startsWith('append:committed'))
        assert.ok(
          repos.some((r) => !isDeepStrictEqual(r.fingerprint(), before[r.dir])),
          `${moment.at}: the kill left repos changed`,
        );
      else assert.deepStrictEqual(fingerprints(repos), before, `${moment.at}: nothing changed before the kill`);

      const recovered = runCli(['recover'], { store: storeDir });
      assert.strictEqual(recovered.status, 0, `${moment.at}: ${recovered.stdout}${recovered.stderr}`);
      assert.strictEqual(assertOneSide(repos, before, target, moment.at), 'before', `${moment.at}: never verified, so recovery puts every repo back`);
      assert.deepStrictEqual(fingerprints(repos), before, `${moment.at}: nothing lost`);
      // no lock, nothing staged; and no temporary index of the killed process, in a repo or in /dev/shm
      // (only its own: other runs on this machine leave theirs in the machine-wide /dev/shm)
      assertNoLeftovers(repos, true);
      const ofKilled = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n.startsWith(`codecontext-${killed.pid}-`)) : []);
      assert.deepStrictEqual(
        [...repos.flatMap((r) => ofKilled(path.join(r.dir, '.git'))), ...ofKilled('/dev/shm')],
        [],
        `${moment.at}: temporary files of the killed process`,
      );
    }
  });
});
