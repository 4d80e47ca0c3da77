import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { checkpointCampaign, startCampaign } from '../../server/src/engine/campaign/campaign';
import { EngineError } from '../../server/src/engine/util/errors';
import { locateEvidence, verifyEvidence } from '../../server/src/engine/rollback/evidence/pack';
import { FileOp, assertRepoPath, checkOps } from '../../server/src/engine/rollback/plan/fileOps';
import { planRollback } from '../../server/src/engine/rollback/plan/plan';
import { createSnapshot } from '../../server/src/engine/snapshot/snapshot';
import { Store } from '../../server/src/engine/store/store';
import { executeRollback } from '../../server/src/engine/rollback/tx/transaction';
import { undoRollback } from '../../server/src/engine/rollback/tx/undo';
import { RepoFingerprint, RepoKit, TestRepo, changeEveryKind, fingerprints, listFiles, seedEveryKind } from '../helpers/repoKit';
import { refused } from '../helpers/refused';
import { forgeManifest } from '../helpers/forge';

/** A fingerprint with some files replaced and some status lines added (what the rollback must keep). */
function keeping(fp: RepoFingerprint, files: Record<string, string>, status: string[] = []): RepoFingerprint {
  return { ...fp, files: { ...fp.files, ...files }, status: [...fp.status.split('\n'), ...status].sort().join('\n') };
}

/** The fingerprint with its status lines sorted, to compare with `keeping(...)`. */
function sortedStatus(fp: RepoFingerprint): RepoFingerprint {
  return { ...fp, status: fp.status.split('\n').sort().join('\n') };
}

const text = (s: string) => `-:${Buffer.from(s).toString('base64')}`;
const ignoredV2 = { 'app.log': text('ignored v2\n') };

describe('rollback (engine)', function () {
  const kit = RepoKit.forSuite();
  let store: Store;
  const ctx = () => ({ store });
  beforeEach(() => (store = new Store(kit.tempDir('cc-store-'))));

  /** `count` identical seeded repos (see seedEveryKind). */
  function seeded(count: number): { root: string; repos: TestRepo[] } {
    return kit.copies(seedEveryKind(kit.repo(path.join(kit.tempDir('cc-tpl-'), 'template'))), count);
  }

  /**
   * `count` seeded repos, their fingerprints as the target, then a campaign that makes every kind
   * of change in each (committing in every other repo) and checkpoints it.
   */
  async function everyKindCampaign(count: number): Promise<{ root: string; repos: TestRepo[]; target: Record<string, RepoFingerprint>; campaign: string }> {
    const { root, repos } = seeded(count);
    const target = fingerprints(repos);
    const campaign = await startCampaign(ctx(), 'every kind', [root]);
    repos.forEach((r, i) => changeEveryKind(r, i % 2 === 0));
    await checkpointCampaign(ctx(), campaign.id);
    return { root, repos, target, campaign: campaign.id };
  }

  it('restore: 20 repos with every kind of change end exactly at the target; ignored files untouched', async function () {
    const { repos, target, campaign } = await everyKindCampaign(20);
    // an ignored file made after the campaign, in a folder the rollback removes
    repos[3].write('newdir/cache.log', 'ignored, made after the campaign\n');
    const plan = await planRollback(ctx(), { campaign, mode: 'restore' });
    assert.deepStrictEqual([plan.totals.conflicts, plan.totals.drift, plan.totals.reposChanged], [0, 0, 20]);
    const changes = new Set(plan.repos[0].files.map((f) => `${f.change} ${f.path}`));
    for (const c of [
      'restore a.txt',
      'recreate gone.txt',
      'remove new.txt',
      'recreate dir/old.txt',
      'remove dir/new.txt',
      'mode tool.sh',
      'restore link',
      'restore img.bin',
    ]) {
      assert.ok(changes.has(c), `plan has ${c}: ${[...changes].join(', ')}`);
    }
    assert.ok(plan.repos[0].files.find((f) => f.path === 'img.bin')!.binary);
    assert.match(plan.repos[0].files.find((f) => f.path === 'a.txt')!.patch, /^-line 2 changed by the campaign\n\+line 2$/m);

    // what a killed restore left in one repo's stage: a file under a name about to be used, and
    // the mirrored folders of earlier versions
    const stage = path.join(repos[5].dir, '.git', 'codecontext-stage');
    fs.mkdirSync(path.join(stage, 'dir'), { recursive: true });
    fs.writeFileSync(path.join(stage, '0'), 'left behind\n', { mode: 0o755 });
    fs.writeFileSync(path.join(stage, 'dir', 'old.txt'), 'left behind\n');

    const record = await executeRollback(ctx(), plan);
    assert.strictEqual(record.outcome, 'committed');
    assert.deepStrictEqual(fs.readdirSync(stage), [], 'the stage is left empty');
    for (const r of repos) {
      const late: { files: Record<string, string>; status: string[] } =
        r === repos[3]
          ? { files: { 'newdir/cache.log': text('ignored, made after the campaign\n') }, status: ['!! newdir/cache.log'] }
          : { files: {}, status: [] };
      assert.deepStrictEqual(sortedStatus(r.fingerprint()), keeping(target[r.dir], { ...ignoredV2, ...late.files }, late.status), r.dir);
    }
  });

  it('replay: 20 repos end at the target, keeping an unrelated edit in the same file and in another', async function () {
    const { repos, target, campaign } = await everyKindCampaign(20);
    const edited = repos[0].read('a.txt').toString('utf8').replace('line 25\n', 'line 25 edited after the campaign\n');
    for (const r of repos) r.write('a.txt', edited).write('notes.txt', 'notes edited after the campaign\n');
    const plan = await planRollback(ctx(), { campaign, mode: 'replay' });
    assert.strictEqual(plan.totals.conflicts, 0, JSON.stringify(plan.repos.flatMap((r) => r.conflicts)));
    const record = await executeRollback(ctx(), plan);
    assert.strictEqual(record.outcome, 'committed');
    const a = target[repos[0].dir].files['a.txt'];
    const editedA = Buffer.from(a.slice(2), 'base64').toString('utf8').replace('line 25\n', 'line 25 edited after the campaign\n');
    const expectedA = `-:${Buffer.from(editedA).toString('base64')}`;
    for (const r of repos) {
      const kept = { ...ignoredV2, 'a.txt': expectedA, 'notes.txt': text('notes edited after the campaign\n') };
      assert.deepStrictEqual(sortedStatus(r.fingerprint()), keeping(target[r.dir], kept, [' M a.txt', ' M notes.txt']), r.dir);
    }
  });

  it('replay: a step that only committed (no file changed on disk) is undone too: index, HEAD and branch', async function () {
    const { root, repos } = seeded(1);
    const target = repos[0].fingerprint();
    const campaign = await startCampaign(ctx(), 'commit only', [root]);
    repos[0].commitAll('commits the staged and untracked files as they are');
    await checkpointCampaign(ctx(), campaign.id);
    assert.notStrictEqual(repos[0].head(), target.head);
    await executeRollback(ctx(), await planRollback(ctx(), { campaign: campaign.id, mode: 'replay' }));
    assert.deepStrictEqual(repos[0].fingerprint(), target);
  });

  it('replay: a conflicting edit is reported at plan time with repo, path and hunk, and nothing changes', async function () {
    const { repos, campaign } = await everyKindCampaign(3);
    const a = repos[1].read('a.txt').toString('utf8').replace('line 2 changed by the campaign\n', 'line 2 changed by someone else\n');
    repos[1].write('a.txt', a);
    const before = fingerprints(repos);
    const plan = await planRollback(ctx(), { campaign, mode: 'replay' });
    assert.strictEqual(plan.totals.conflicts, 1);
    const conflicted = plan.repos.find((r) => r.conflicts.length)!;
    assert.strictEqual(conflicted.path, repos[1].dir);
    assert.strictEqual(conflicted.conflicts[0].path, 'a.txt');
    assert.match(conflicted.conflicts[0].hunk ?? '', /^@@ .* @@\n(.*\n)*-line 2 changed by the campaign\n\+line 2\n/m);
    const e = await refused(executeRollback(ctx(), plan), 'Conflict');
    assert.strictEqual(e.repo, repos[1].dir);
    assert.strictEqual(e.path, 'a.txt');
    assert.match(e.message, /nothing was changed/);
    assert.deepStrictEqual(fingerprints(repos), before);
  });

  it('all or nothing: an index.lock that stays refuses the whole rollback, naming the lock; nothing changes', async function () {
    const { repos, campaign } = await everyKindCampaign(4);
    const lock = path.join(repos[2].dir, '.git', 'index.lock');
    fs.writeFileSync(lock, '');
    const before = fingerprints(repos);
    const plan = await planRollback(ctx(), { campaign });
    const e = await refused(executeRollback(ctx(), plan), 'RepositoryIsLocked');
    assert.strictEqual(e.repo, repos[2].dir);
    assert.match(e.message, /index\.lock/);
    assert.match(e.message, /nothing was changed/);
    assert.deepStrictEqual(fingerprints(repos), before);
    assert.ok(fs.existsSync(lock), "someone else's lock is never deleted");
    for (const r of repos) assert.ok(!fs.existsSync(path.join(r.dir, '.git', 'codecontext.lock')), `${r.dir}: our lock released`);
  });

  it('all or nothing: an index.lock released after 200 ms is retried, and the rollback succeeds', async function () {
    const { repos, target, campaign } = await everyKindCampaign(4);
    const lock = path.join(repos[2].dir, '.git', 'index.lock');
    fs.writeFileSync(lock, '');
    const plan = await planRollback(ctx(), { campaign });
    // released 200 ms after the rollback takes its own lock on that repo, so its next step (index.lock)
    // is sure to meet the held one however slow the machine is before that
    const ours = path.join(repos[2].dir, '.git', 'codecontext.lock');
    let release: NodeJS.Timeout | undefined;
    const watch = setInterval(() => {
      if (release || !fs.existsSync(ours)) return;
      release = setTimeout(() => fs.rmSync(lock), 200);
    }, 2);
    try {
      const record = await executeRollback(ctx(), plan);
      assert.strictEqual(record.outcome, 'committed');
      assert.ok(record.phases.find((p) => p.name === 'prepare')!.retries > 0, 'retries counted');
    } finally {
      clearInterval(watch);
      clearTimeout(release);
    }
    for (const r of repos) assert.deepStrictEqual(sortedStatus(r.fingerprint()), keeping(target[r.dir], ignoredV2), r.dir);
  });

  it('all or nothing: a branch lock held through the commit phase puts every repo back, and leaves no temporary file', async function () {
    const { repos, campaign } = await everyKindCampaign(4);
    const before = fingerprints(repos);
    // repo 2 committed in the campaign, so its branch must move: git's lock on that ref stays held
    const branch = repos[2].git('symbolic-ref', 'HEAD').trim();
    const refLock = path.join(repos[2].dir, '.git', ...branch.split('/')) + '.lock';
    fs.writeFileSync(refLock, '');
    try {
      const plan = await planRollback(ctx(), { campaign });
      const e = await refused(executeRollback(ctx(), plan), 'RepositoryIsLocked');
      assert.match(e.message, /returned to the safety snapshot/);
    } finally {
      fs.rmSync(refLock);
    }
    assert.deepStrictEqual(fingerprints(repos), before);
    for (const r of repos) {
      const left = fs.readdirSync(path.join(r.dir, '.git')).filter((n) => n.endsWith('.lock') || (n.startsWith('codecontext-') && n !== 'codecontext-stage'));
      assert.deepStrictEqual(left, [], r.dir);
    }
    const ours = fs.existsSync('/dev/shm') ? fs.readdirSync('/dev/shm').filter((n) => n.startsWith(`codecontext-${process.pid}-`)) : [];
    assert.deepStrictEqual(ours, [], 'temporary indexes left in /dev/shm');
  });

  it('undo returns every repo exactly to its state before the rollback, untracked and drifted files too', async function () {
    const { repos, target, campaign } = await everyKindCampaign(3);
    repos[0].write('mine.txt', "the user's own untracked file\n").write('notes.txt', 'drift\n');
    const before = fingerprints(repos);
    const plan = await planRollback(ctx(), { campaign });
    assert.deepStrictEqual(plan.repos[0].drift, [
      { kind: 'file', path: 'mine.txt' },
      { kind: 'file', path: 'notes.txt' },
    ]);
    const drift = await refused(executeRollback(ctx(), plan), 'Drift');
    assert.match(drift.message, /mine\.txt, notes\.txt/);
    assert.deepStrictEqual(fingerprints(repos), before);

    const record = await executeRollback(ctx(), plan, { force: true });
    for (const r of repos) assert.deepStrictEqual(sortedStatus(r.fingerprint()), keeping(target[r.dir], ignoredV2), r.dir);
    const undo = await undoRollback(ctx(), record.id);
    assert.strictEqual(undo.undoOf, record.id);
    assert.deepStrictEqual(fingerprints(repos), before);
    assert.ok((await verifyEvidence(undo.evidence, store)).ok);
    await refused(undoRollback(ctx(), record.id), 'NotUndoable');
  });

  it('evidence verify passes, and fails on one edited byte in the JSON or in the patch file', async function () {
    const { campaign } = await everyKindCampaign(2);
    const record = await executeRollback(ctx(), await planRollback(ctx(), { campaign }));
    assert.strictEqual(await locateEvidence(store, record.id), record.evidence);
    assert.match(path.basename(record.evidence), new RegExp(record.id));
    assert.deepStrictEqual(await verifyEvidence(record.evidence, store), {
      file: record.evidence,
      ok: true,
      problems: [],
      signature: { state: 'unsigned' },
      repos: record.repos.map((r) => ({ path: r.path, ok: true })),
    });
    const patchFile = path.join(path.dirname(record.evidence), 'inverse.patch');
    assert.match(fs.readFileSync(patchFile, 'utf8'), /-line 2 changed by the campaign/);
    for (const [file, byteOf, problem] of [
      [record.evidence, '"restore"', /digest mismatch/],
      [patchFile, 'line 2', /patch file was modified/],
    ] as const) {
      const original = fs.readFileSync(file);
      const edited = Buffer.from(original);
      edited[original.indexOf(byteOf) + 1] ^= 1;
      fs.writeFileSync(file, edited);
      const check = await verifyEvidence(record.evidence);
      assert.strictEqual(check.ok, false, file);
      assert.match(check.problems.join('\n'), problem);
      fs.writeFileSync(file, original);
    }
    assert.ok((await verifyEvidence(record.evidence)).ok);
  });

  describe('bad input is refused with a clear error and changes nothing', function () {
    it('unknown ids', async function () {
      const { campaign } = await everyKindCampaign(1);
      assert.match((await refused(planRollback(ctx(), { snapshot: 'snap_0123456789abcdef' }), 'UnknownId')).message, /no such snapshot/);
      assert.match((await refused(planRollback(ctx(), { campaign: 'camp_0123456789ab' }), 'UnknownId')).message, /no such campaign/);
      assert.match((await refused(planRollback(ctx(), { campaign, step: 2 }), 'UnknownId')).message, /has no step 2 \(it has 1\)/);
      assert.match((await refused(undoRollback(ctx(), 'rb_0123456789ab'), 'UnknownId')).message, /no such rollback/);
      await refused(locateEvidence(store, 'rb_0123456789ab'), 'UnknownId');
    });

    it('a repo deleted or moved since the snapshot', async function () {
      const { repos } = seeded(3);
      const snap = await createSnapshot(
        store,
        repos.map((r) => r.dir),
      );
      changeEveryKind(repos[0], true);
      const before = repos[0].fingerprint();
      fs.rmSync(repos[1].dir, { recursive: true });
      fs.renameSync(repos[2].dir, repos[2].dir + '-moved');
      const e = await refused(planRollback(ctx(), { snapshot: snap.id }), 'RepoMissing');
      assert.strictEqual(e.repo, repos[1].dir);
      assert.match(e.message, /deleted or moved/);
      fs.rmSync(repos[2].dir + '-moved', { recursive: true });
      assert.strictEqual((await refused(planRollback(ctx(), { snapshot: snap.id, repos: [repos[2].dir] }), 'RepoMissing')).repo, repos[2].dir);
      assert.deepStrictEqual(repos[0].fingerprint(), before);
    });

    it('a manifest naming a path outside its root: an edit is tampering, a forged tree entry is refused by the path check', async function () {
      const { repos } = seeded(1);
      const repo = repos[0];
      const snap = await createSnapshot(store, [repo.dir]);
      const file = store.path('snapshots', `${snap.id}.json`);
      const original = fs.readFileSync(file, 'utf8');
      fs.writeFileSync(file, original.replace(JSON.stringify(repo.dir), JSON.stringify(path.join(repo.dir, '..', 'elsewhere'))));
      await refused(planRollback(ctx(), { snapshot: snap.id }), 'TamperedManifest');
      fs.writeFileSync(file, original);

      // The path checks themselves, as every write and delete passes them.
      for (const bad of ['../outside.txt', 'a/../../outside.txt', '/etc/passwd', '.git/config', 'a//b']) {
        assert.throws(
          () => assertRepoPath(repo.dir, bad),
          (e: EngineError) => e.code === 'PathEscapesRepo' && e.path === bad,
          bad,
        );
      }
      const op: FileOp = { path: '../outside.txt', action: 'write', fromBlob: null, fromMode: null, blob: snap.repos[0].worktree, mode: '100644' };
      await refused(checkOps(repo.dir, [op]), 'PathEscapesRepo');

      // A manifest sealed correctly whose worktree tree has an entry `../escape.txt`: refused at plan time.
      const escapeTree = gitMktree(repo, `100644 blob ${repo.git('rev-parse', `${snap.repos[0].worktree}:a.txt`)}\tescape.txt\n`);
      const worktree = gitMktree(repo, `040000 tree ${escapeTree}\t..\n` + repo.git('ls-tree', snap.repos[0].worktree) + '\n');
      const forged = forgeManifest(store, { ...snap, repos: [{ ...snap.repos[0], worktree }] });
      const before = repo.fingerprint();
      const plan = await planRollback(ctx(), { snapshot: forged });
      const conflict = plan.repos[0].conflicts[0];
      assert.strictEqual(conflict?.path, '../escape.txt', JSON.stringify(plan.repos[0].conflicts));
      assert.match(conflict.reason, /would leave the repository/);
      const e = await refused(executeRollback(ctx(), plan), 'Conflict');
      assert.match(e.message, /would leave the repository/);
      assert.ok(!fs.existsSync(path.join(path.dirname(repo.dir), 'escape.txt')));
      assert.deepStrictEqual(repo.fingerprint(), before);
    });

    it('a folder replaced by a symlink pointing outside the repo, and a file the rollback would write through a symlink', async function () {
      const { root, repos, campaign } = await everyKindCampaign(2);
      const outside = kit.tempDir('cc-outside-');
      fs.writeFileSync(path.join(outside, 'victim.txt'), 'outside the repo\n');
      const outsideBefore = listFiles(outside);
      // repo 0 (the campaign committed its deletion): gone.txt, which the rollback recreates, is now an
      // ignored symlink to a file outside
      fs.symlinkSync(path.join(outside, 'victim.txt'), repos[0].file('gone.txt'));
      // repo 1: dir/, where the rollback writes dir/old.txt, is now an ignored symlink to the outside folder
      fs.rmSync(repos[1].file('dir'), { recursive: true });
      fs.symlinkSync(outside, repos[1].file('dir'));
      for (const r of repos) fs.appendFileSync(path.join(r.dir, '.git', 'info', 'exclude'), r === repos[0] ? 'gone.txt\n' : 'dir\n');
      const before = fingerprints(repos);

      for (const mode of ['restore', 'replay'] as const) {
        const plan = await planRollback(ctx(), { campaign, mode });
        const reasons = plan.repos.flatMap((r) => r.conflicts.map((c) => `${path.relative(root, r.path)}: ${c.path}: ${c.reason}`)).join('\n');
        if (mode === 'restore') {
          assert.match(reasons, /repo-00: gone\.txt: an ignored file is in the way/);
          assert.match(reasons, /repo-01: dir\/old\.txt: folder dir is a symlink/);
        } else {
          assert.ok(plan.totals.conflicts > 0, 'replay refuses too');
        }
        await refused(executeRollback(ctx(), plan, { force: true }), 'Conflict');
        assert.deepStrictEqual(fingerprints(repos), before, mode);
        assert.deepStrictEqual(listFiles(outside), outsideBefore, `${mode}: the outside folder is untouched`);
      }
    });

    it(
      'a visible folder replaced by a symlink pointing outside is refused even when forced; one pointing inside is replaced, never written ' + 'through',
      async function () {
        const { repos, target, campaign } = await everyKindCampaign(1);
        const repo = repos[0];
        const outside = kit.tempDir('cc-outside-');
        fs.writeFileSync(path.join(outside, 'victim.txt'), 'outside the repo\n');
        fs.rmSync(repo.file('dir'), { recursive: true });
        fs.symlinkSync(outside, repo.file('dir'));
        const before = repo.fingerprint();
        const plan = await planRollback(ctx(), { campaign });
        assert.ok(
          plan.repos[0].conflicts.some((c) => /symlink pointing outside/.test(c.reason)),
          JSON.stringify(plan.repos[0].conflicts),
        );
        await refused(executeRollback(ctx(), plan, { force: true }), 'Conflict');
        assert.deepStrictEqual(repo.fingerprint(), before);
        assert.deepStrictEqual(listFiles(outside), { 'victim.txt': text('outside the repo\n') });

        // a link to a folder inside the repo: drift, and forced, the link itself is replaced
        fs.rmSync(repo.file('dir'));
        fs.mkdirSync(repo.file('elsewhere'), { recursive: true });
        fs.writeFileSync(repo.file('elsewhere/kept.txt'), 'kept\n');
        fs.symlinkSync('elsewhere', repo.file('dir'));
        const inside = repo.fingerprint();
        const plan2 = await planRollback(ctx(), { campaign });
        assert.ok(
          plan2.repos[0].drift.some((d) => d.kind === 'file' && d.path === 'dir'),
          JSON.stringify(plan2.repos[0].drift),
        );
        await refused(executeRollback(ctx(), plan2), 'Drift');
        const record = await executeRollback(ctx(), plan2, { force: true });
        // restore removes what drifted in (the undo below brings it back)
        assert.ok(!fs.existsSync(repo.file('elsewhere')));
        assert.ok(!fs.lstatSync(repo.file('dir')).isSymbolicLink());
        const now = repo.fingerprint().files;
        const expectedDir = Object.entries(target[repo.dir].files).filter(([f]) => f.startsWith('dir/'));
        assert.ok(expectedDir.length > 0);
        for (const [f, v] of expectedDir) assert.strictEqual(now[f], v, f);
        await undoRollback(ctx(), record.id);
        assert.deepStrictEqual(repo.fingerprint(), inside);
      },
    );
  });
});

function gitMktree(repo: TestRepo, entries: string): string {
  return execFileSync('git', ['mktree'], { cwd: repo.dir, input: entries, encoding: 'utf8' }).trim();
}
