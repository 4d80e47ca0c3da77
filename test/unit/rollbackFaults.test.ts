import * as assert from 'assert';
import { ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { isDeepStrictEqual } from 'util';
import { checkpointCampaign, startCampaign } from '../../server/src/engine/campaign/campaign';
import { listRollbacks } from '../../server/src/engine/rollback/records';
import { createSnapshot } from '../../server/src/engine/snapshot/snapshot';
import { Store } from '../../server/src/engine/store/store';
import { undoRollback } from '../../server/src/engine/rollback/tx/undo';
import { RepoFingerprint, RepoKit, TestRepo, changeEveryKind, fingerprints, runCli, runCliAsync, seedEveryKind } from '../helpers/repoKit';
import { assertNoLeftovers, assertOneSide } from '../helpers/sides';

/**
 * Crashes are real: the CLI runs as a child process and dies by SIGKILL, from a fault point
 * (CODECONTEXT_FAULTS) or from the test at a random moment. `codecontext recover` must then bring
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
    assert.match(recovered.stdout, /stopped during prepare; nothing had changed; locks released|all 1 repos returned to safety snapshot/);
    assert.deepStrictEqual(repo.fingerprint(), before);
    assertNoLeftovers(repos);
  });

  it('SIGKILL at random moments of a 60-repo rollback: after recover, all on one side and nothing lost', async function () {
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
    const committedSoFar = () =>
      (fs.existsSync(journalDir) ? fs.readdirSync(journalDir) : []).reduce(
        (n, f) => n + (fs.readFileSync(path.join(journalDir, f), 'utf8').match(/"t":"committed"/g)?.length ?? 0),
        0,
      );

    const journals = () => (fs.existsSync(journalDir) ? fs.readdirSync(journalDir).length : 0);

    // a kill at a random time from the start (planning, prepare or commit), then one at a random point of the commit phase
    const moments = [{ ms: 300 + Math.floor(Math.random() * 3000) }, { committed: 1 + Math.floor(Math.random() * 59) }];
    for (const moment of moments) {
      const label = JSON.stringify(moment);
      const [already, begun] = [committedSoFar(), journals()];
      let child: ChildProcess | undefined;
      let exited = false;
      const run = runCliAsync(['rollback', '--snapshot', snap.id], { store: storeDir, onStart: (c) => (child = c) }).then(() => (exited = true));
      if ('ms' in moment) await new Promise((r) => setTimeout(r, moment.ms));
      else while (!exited && committedSoFar() - already < moment.committed) await new Promise((r) => setTimeout(r, 5));
      child!.kill('SIGKILL');
      await run;

      const recovered = runCli(['recover'], { store: storeDir });
      assert.strictEqual(recovered.status, 0, `${label}: ${recovered.stdout}${recovered.stderr}`);
      const side = assertOneSide(repos, before, target, label);
      assertNoLeftovers(repos, journals() === begun);
      if (side === 'target') {
        // it had verified (or finished) before the kill: undo it, to start the next run from the same place
        await undoRollback({ store }, (await listRollbacks(store))[0].id);
        assert.deepStrictEqual(fingerprints(repos), before, `${label}: undo`);
      }
    }
  });
});
