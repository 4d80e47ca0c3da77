import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { checkpointCampaign, startCampaign } from '../../server/src/engine/campaign/campaign';
import { setGitLogger } from '../../server/src/engine/git/gitRunner';
import { RollbackPlan, planRollback } from '../../server/src/engine/rollback/plan/plan';
import { captureStartNs, keepable, keptCapture, keptCaptureOf, releaseCaptures, stillCurrent } from '../../server/src/engine/rollback/plan/keptCaptures';
import { captureWithIndex } from '../../server/src/engine/repo/repoState';
import { RollbackFailed, executeRollback } from '../../server/src/engine/rollback/tx/transaction';
import { planUndo, undoRollback } from '../../server/src/engine/rollback/tx/undo';
import { treePatches } from '../../server/src/engine/git/patches';
import { sha256 } from '../../server/src/engine/util/canonical';
import { Store } from '../../server/src/engine/store/store';
import { EngineError } from '../../server/src/engine/util/errors';
import { RepoKit, TestRepo, changeEveryKind, fingerprints, seedEveryKind } from '../helpers/repoKit';

/**
 * A preview's captures reused by its execute (issue 24, item 1): whatever is written between the
 * plan and its run is caught exactly as a fresh capture catches it. Each case plans twice, once
 * keeping its captures and once not, changes the repo, then runs both plans: both must be refused
 * with the same error (code, words, repo and path), and nothing may change.
 */
describe('a plan’s kept captures: what changed since the plan is still caught', function () {
  const kit = RepoKit.forSuite();
  let store: Store;
  const ctx = () => ({ store });
  beforeEach(() => (store = new Store(kit.tempDir('cc-store-'))));

  async function campaignOf(count: number, seed: (r: TestRepo) => TestRepo = (r) => r): Promise<{ repos: TestRepo[]; campaign: string }> {
    const { root, repos } = kit.copies(seed(seedEveryKind(kit.repo(path.join(kit.tempDir('cc-tpl-'), 'template')))), count);
    const campaign = await startCampaign(ctx(), 'kept captures', [root]);
    repos.forEach((r, i) => changeEveryKind(r, i % 2 === 0));
    await checkpointCampaign(ctx(), campaign.id);
    return { repos, campaign: campaign.id };
  }

  /** The error a run of `plan` stops with: its engine error, without the rollback's own id. */
  async function refusal(plan: RollbackPlan): Promise<{ code: string; message: string; repo?: string; path?: string }> {
    try {
      await executeRollback(ctx(), plan);
    } catch (e) {
      const err = e instanceof RollbackFailed ? e.failure : e;
      assert.ok(err instanceof EngineError, String(e));
      return { code: err.code, message: err.message, repo: err.repo, path: err.path };
    }
    assert.fail('the run was not refused');
  }

  const cases: [string, (r: TestRepo) => void, ((r: TestRepo) => void)?][] = [
    [
      'a tracked file rewritten, same size, its mtime put back',
      (r) => {
        const st = fs.statSync(r.file('notes.txt'));
        r.write('notes.txt', 'NOTES\n');
        fs.utimesSync(r.file('notes.txt'), st.atime, st.mtime);
      },
    ],
    ['a tracked file made executable', (r) => fs.chmodSync(r.file('notes.txt'), 0o755)],
    ['a tracked file deleted', (r) => r.remove('notes.txt')],
    ['a symlink pointed elsewhere', (r) => r.symlink('link', 'notes.txt')],
    ['a new untracked file in the root', (r) => r.write('later.txt', 'written after the preview\n')],
    ['a new untracked file in a new folder', (r) => r.write('deep/er/later.txt', 'written after the preview\n')],
    [
      'a new untracked file in a folder that held only ignored files',
      (r) => r.write('cache/later.txt', 'not ignored\n'),
      (r) => r.write('cache/x.log', 'ignored\n'),
    ],
    ['an untracked file the capture took, edited', (r) => r.write('scratch.txt', 'edited\n')],
    ['an untracked file the capture took, now ignored by info/exclude', (r) => fs.appendFileSync(path.join(r.dir, '.git', 'info', 'exclude'), 'scratch.txt\n')],
    ['an ignored file no longer ignored', (r) => fs.writeFileSync(r.file('.gitignore'), '')],
    ['a file staged', (r) => r.write('notes.txt', 'staged after the preview\n').git('add', 'notes.txt')],
    ['a commit made', (r) => r.git('commit', '-q', '--allow-empty', '-m', 'after the preview')],
  ];
  // Each case twice: as the plan follows the campaign's writes (its folders changed moments ago, so
  // the run lists the untracked files with git), and with every folder last changed a minute ago (the
  // run proves them by the folders' census, no process)
  for (const aged of [false, true]) {
    for (const [what, change, setup] of cases) {
      it(`${what}${aged ? ', the folders a minute old' : ''}: refused as a fresh capture refuses it, nothing changed`, async function () {
        const { repos, campaign } = await campaignOf(2);
        setup?.(repos[1]);
        if (aged) {
          repos.forEach(ageFolders);
          await ctimesSettle();
        }
        const kept = await planRollback(ctx(), { campaign }, [], { keepCaptures: true });
        if (aged) assert.ok(censusOf(kept, repos[1].dir), 'the census was taken');
        const fresh = await planRollback(ctx(), { campaign });
        change(repos[1]);
        const before = fingerprints(repos);
        const [a, b] = [await refusal(kept), await refusal(fresh)];
        assert.deepStrictEqual(a, b, 'the kept capture’s run is refused exactly as a fresh capture’s');
        assert.strictEqual(a.code, 'PlanStale', a.message);
        assert.strictEqual(a.repo, repos[1].dir);
        assert.deepStrictEqual(fingerprints(repos), before, 'nothing changed');
        await releaseCaptures(kept);
      });
    }
  }

  // what only the census could miss: a name that came while its folder's mtime was put back, a new
  // folder, a rename, a rule outside the worktree, a self-ignoring .gitignore (each with what every
  // repo holds before the plan)
  const censusCases: [string, (r: TestRepo) => void, ((r: TestRepo) => void)?][] = [
    ['a new untracked file, its folder’s mtime put back', (r) => writeMtimeBack(r, 'dir/later.txt', 'written after the preview\n')],
    [
      'a new empty folder, and a file in it, the mtimes put back',
      (r) => {
        const st = fs.statSync(r.dir);
        fs.mkdirSync(r.file('empty'));
        r.write('empty/later.txt', 'x\n');
        fs.utimesSync(r.file('empty'), st.atime, st.mtime);
        fs.utimesSync(r.dir, st.atime, st.mtime);
      },
    ],
    ['a file renamed within its folder', (r) => fs.renameSync(r.file('scratch.txt'), r.file('scratch2.txt'))],
    [
      'a config change naming an excludes file that ignores an untracked file',
      (r) => {
        const rules = `${r.dir}.rules`;
        fs.writeFileSync(rules, 'scratch.txt\n');
        r.git('config', 'core.excludesFile', rules);
      },
    ],
    [
      'a .gitignore that ignores itself, edited so its folder’s files show',
      (r) => r.write('cache/.gitignore', '# nothing ignored now\n'),
      // a tool's cache folder: its own .gitignore says `*`, so git captures nothing in it, yet reads that file
      (r) => r.write('cache/.gitignore', '*\n').write('cache/data.txt', 'cached\n'),
    ],
  ];
  for (const [what, change, setup] of censusCases) {
    it(`census: ${what}: refused as a fresh capture refuses it, nothing changed`, async function () {
      const { repos, campaign } = await campaignOf(2);
      if (setup) repos.forEach(setup);
      repos.forEach(ageFolders);
      await ctimesSettle();
      const kept = await planRollback(ctx(), { campaign }, [], { keepCaptures: true });
      assert.ok(censusOf(kept, repos[1].dir), 'the census was taken');
      const fresh = await planRollback(ctx(), { campaign });
      change(repos[1]);
      const before = fingerprints(repos);
      const [a, b] = [await refusal(kept), await refusal(fresh)];
      assert.deepStrictEqual(a, b, 'the kept capture’s run is refused exactly as a fresh capture’s');
      assert.strictEqual(a.code, 'PlanStale', a.message);
      assert.deepStrictEqual(fingerprints(repos), before, 'nothing changed');
      await releaseCaptures(kept);
    });
  }

  it('census: nothing changed and every folder a minute old: the run lists no untracked files, and ends at the target', async function () {
    const { repos, campaign } = await campaignOf(3);
    repos.forEach(ageFolders);
    await ctimesSettle();
    const plan = await planRollback(ctx(), { campaign }, [], { keepCaptures: true });
    const lines: string[] = [];
    setGitLogger((line) => lines.push(line));
    let record;
    try {
      record = await executeRollback(ctx(), plan);
    } finally {
      setGitLogger(undefined);
    }
    assert.strictEqual(record.outcome, 'committed');
    assert.deepStrictEqual(
      lines.filter((l) => / ls-files /.test(l)),
      [],
      'no listing: the census proved it',
    );
    assert.strictEqual(lines.filter((l) => / add -A /.test(l)).length, repos.length, 'one capture per repo, the verify’s');
  });

  it('census: beside a flat ignored folder, after a fine time; not beside a deep one, in a repo holding another, after a whole second', async function () {
    const { repos, campaign } = await campaignOf(5);
    repos[0].write('build/out.js', 'ignored\n').write('.git/info/exclude', 'build/\n');
    // a folder outside the capture's, with folders of its own: git would read it to learn what it ignores
    repos[4].write('node_modules/x/index.js', 'ignored\n').write('.git/info/exclude', 'node_modules/\n');
    // in an ignored folder, so the capture itself is kept (a nested repo git lists would be a gitlink, never kept)
    repos[1].write('.git/info/exclude', 'vendor/\n');
    kit.repo(repos[1].file('vendor/inner')).write('a.txt', 'a repo of its own\n').commitAll('inner');
    repos.forEach(ageFolders);
    // a whole second under a second ago (then the ctimes settle): a filesystem keeping seconds (or two)
    // may not have moved it since; a fraction of a second proves fine timestamps, and that is plenty
    const second = Math.floor(Date.now() / 1000);
    fs.utimesSync(repos[2].file('dir'), second, second);
    fs.utimesSync(repos[3].file('dir'), second - 0.5, second - 0.5);
    await ctimesSettle();
    const plan = await planRollback(ctx(), { campaign }, [], { keepCaptures: true });
    assert.deepStrictEqual(
      repos.map((r) => censusOf(plan, r.dir)),
      [true, false, false, true, false],
    );
    await releaseCaptures(plan);
  });

  it('census: a file written in an ignored folder since the plan: the run lists the untracked files, and goes on, the file kept', async function () {
    const { repos, campaign } = await campaignOf(2);
    repos[1].write('build/out.js', 'ignored\n').write('.git/info/exclude', 'build/\n');
    repos.forEach(ageFolders);
    await ctimesSettle();
    const plan = await planRollback(ctx(), { campaign }, [], { keepCaptures: true });
    assert.ok(censusOf(plan, repos[1].dir));
    repos[1].write('build/later.js', 'written after the preview\n');
    const lines: string[] = [];
    setGitLogger((line) => lines.push(line));
    let record;
    try {
      record = await executeRollback(ctx(), plan);
    } finally {
      setGitLogger(undefined);
    }
    assert.strictEqual(record.outcome, 'committed');
    assert.strictEqual(lines.filter((l) => / ls-files -o /.test(l)).length, 1, 'the one repo whose census failed was listed');
    assert.strictEqual(repos[1].read('build/later.js').toString(), 'written after the preview\n');
  });

  /**
   * Every folder of the repo's worktree (its .git aside) last changed a minute ago. Their ctime is
   * now: a census vouches only for a folder whose ctime is older than 50 ms before the capture, so
   * a caller waits that out (`ctimesSettle`) before planning.
   */
  function ageFolders(r: TestRepo): void {
    const then = new Date(Date.now() - 60_000);
    const walk = (dir: string) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) if (e.isDirectory() && e.name !== '.git') walk(path.join(dir, e.name));
      fs.utimesSync(dir, then, then);
    };
    walk(r.dir);
  }
  /** Writes a file, then puts its folder's mtime back, as tar, rsync -a and cp -p do (its ctime moves all the same). */
  function writeMtimeBack(r: TestRepo, file: string, text: string): void {
    const folder = r.file(path.dirname(file));
    const st = fs.statSync(folder);
    r.write(file, text);
    fs.utimesSync(folder, st.atime, st.mtime);
  }
  const ctimesSettle = () => new Promise((resolve) => setTimeout(resolve, 150));

  /** Whether the plan kept the repo's capture with a census of its folders. */
  function censusOf(plan: RollbackPlan, repo: string): boolean {
    return keptCaptureOf(plan, repo)?.folders !== undefined;
  }

  it('nothing changed since the plan: the run starts from the plan’s captures (no capture before commit), and ends at the target', async function () {
    const { repos, campaign } = await campaignOf(3);
    const plan = await planRollback(ctx(), { campaign }, [], { keepCaptures: true });
    const adds: string[] = [];
    setGitLogger((line) => / add -A /.test(line) && adds.push(line));
    let record;
    try {
      record = await executeRollback(ctx(), plan);
    } finally {
      setGitLogger(undefined);
    }
    assert.strictEqual(record.outcome, 'committed');
    // one capture per repo is the verify's: prepare took the plan's
    assert.strictEqual(adds.length, repos.length, adds.join('\n'));
    // the undo's run starts from its plan's captures too: one capture per repo to plan, one to verify
    adds.length = 0;
    setGitLogger((line) => / add -A /.test(line) && adds.push(line));
    let undo;
    try {
      undo = await undoRollback(ctx(), record.id);
    } finally {
      setGitLogger(undefined);
    }
    assert.strictEqual(undo.outcome, 'committed');
    assert.strictEqual(adds.length, 2 * repos.length, adds.join('\n'));
  });

  it('an undo in the process of its rollback starts from the verify’s captures: one capture per repo, its own verify’s', async function () {
    const { repos, campaign } = await campaignOf(3);
    const plan = await planRollback(ctx(), { campaign }, [], { keepCaptures: true });
    const record = await executeRollback(ctx(), plan, { keepVerifiedCaptures: true });
    assert.strictEqual(record.outcome, 'committed');
    const adds: string[] = [];
    setGitLogger((line) => / add -A /.test(line) && adds.push(line));
    let undo;
    try {
      undo = await undoRollback(ctx(), record.id);
    } finally {
      setGitLogger(undefined);
    }
    assert.strictEqual(undo.outcome, 'committed');
    assert.strictEqual(adds.length, repos.length, adds.join('\n'));
  });

  it('an undo from the verify’s captures turns its rollback’s diffs around: no git diff in its plan, the text git prints for those trees', async function () {
    const { repos, campaign } = await campaignOf(2);
    const plan = await planRollback(ctx(), { campaign }, [], { keepCaptures: true });
    const record = await executeRollback(ctx(), plan, { keepVerifiedCaptures: true });
    const diffs: string[] = [];
    setGitLogger((line) => / diff-tree /.test(line) && diffs.push(line));
    let undo: RollbackPlan;
    try {
      undo = (await planUndo(ctx(), record.id, undefined, true)).plan;
    } finally {
      setGitLogger(undefined);
    }
    await releaseCaptures(undo);
    assert.deepStrictEqual(diffs, [], 'the undo’s plan asked git for no diff');
    assert.strictEqual(undo.repos.length, repos.length);
    for (const r of undo.repos) {
      // every kind of change (modify, add, delete, mode, symlink, binary) turned around reads as git writes it
      const git = await treePatches(r.path, r.current.worktree, r.goal.worktree);
      assert.ok(git.length >= 8, `${r.path}: ${git.length} files`);
      assert.deepStrictEqual(
        r.files.map((f) => [f.path, f.patch, f.added, f.removed, f.binary]),
        git.map((p) => [p.change.path, p.text, p.change.added, p.change.removed, p.change.binary]),
      );
    }
  });

  it('an undo in a new process proves its rollback’s diffs from its evidence: no git diff; a pack edited to fit its hashes is not trusted', async function () {
    const { repos, campaign } = await campaignOf(2);
    const plan = await planRollback(ctx(), { campaign }, [], { keepCaptures: true });
    const record = await executeRollback(ctx(), plan); // no verify captures kept: as the CLI's rollback
    const undoPlan = async () => {
      const diffs: string[] = [];
      setGitLogger((line) => / diff-tree /.test(line) && diffs.push(line));
      try {
        return { undo: (await planUndo(ctx(), record.id)).plan, diffs };
      } finally {
        setGitLogger(undefined);
      }
    };
    const readsAsGit = async (undo: RollbackPlan) => {
      assert.strictEqual(undo.repos.length, repos.length);
      for (const r of undo.repos) {
        const git = await treePatches(r.path, r.current.worktree, r.goal.worktree);
        assert.deepStrictEqual(
          r.files.map((f) => [f.path, f.patch, f.added, f.removed, f.binary]),
          git.map((p) => [p.change.path, p.text, p.change.added, p.change.removed, p.change.binary]),
        );
      }
    };
    const first = await undoPlan();
    assert.deepStrictEqual(first.diffs, [], 'the undo’s plan asked git for no diff');
    await readsAsGit(first.undo);

    // one added line of one repo's a.txt diff edited, and its diffHash made to match: the text does not prove, so git diffs that repo
    const patchFile = path.join(path.dirname(record.evidence), 'inverse.patch');
    const text = fs.readFileSync(patchFile, 'utf8');
    const at = text.indexOf('\n+line 2\n');
    const header = text.lastIndexOf('# repo: ', at);
    const repo = text.slice(header + '# repo: '.length, text.indexOf('\n', header));
    const start = text.indexOf('\n', header) + 1;
    const end = text.indexOf('\n# repo: ', at) + 1 || text.length;
    const edited = text.slice(start, end).replace('\n+line 2\n', '\n+line 2, says the pack\n');
    fs.writeFileSync(patchFile, text.slice(0, start) + edited + text.slice(end));
    const pack = JSON.parse(fs.readFileSync(record.evidence, 'utf8')) as { repos: { path: string; files: { path: string; diffHash: string }[] }[] };
    pack.repos.find((r) => r.path === repo)!.files.find((f) => f.path === 'a.txt')!.diffHash = sha256(Buffer.from(edited));
    fs.writeFileSync(record.evidence, JSON.stringify(pack));
    const second = await undoPlan();
    assert.strictEqual(second.diffs.length, 1, second.diffs.join('\n'));
    assert.ok(second.diffs[0].includes(second.undo.repos.find((r) => r.path === repo)!.current.worktree), 'git diffed the edited pack’s repo');
    await readsAsGit(second.undo);
  });

  // each with how the repos are seeded before the campaign, when it matters
  const sinceRollback: [string, (r: TestRepo) => void, string, ((r: TestRepo) => TestRepo)?][] = [
    ['a tracked file edited', (r) => r.write('a.txt', 'edited after the rollback\n'), 'a.txt'],
    ['an untracked file written', (r) => r.write('dir/later.txt', 'written after the rollback\n'), 'dir/later.txt'],
    [
      'a tracked file touched, its mtime put back',
      (r) => {
        const st = fs.statSync(r.file('notes.txt'));
        r.write('notes.txt', 'NOTES\n');
        fs.utimesSync(r.file('notes.txt'), st.atime, st.mtime);
      },
      'notes.txt',
    ],
    [
      'a file added to a folder the rollback left alone, its mtime put back (as tar does)',
      (r) => writeMtimeBack(r, 'quiet/later.txt', 'extracted after the rollback\n'),
      'quiet/later.txt',
      (r) => (r.write('quiet/q.txt', 'q\n').commitAll('a folder no one changes'), r),
    ],
  ];
  for (const [what, change, file, seed] of sinceRollback) {
    it(`an undo starting from the verify’s captures: ${what} since the rollback is drift, as a fresh plan finds it`, async function () {
      const { repos, campaign } = await campaignOf(2, seed);
      const plan = await planRollback(ctx(), { campaign }, [], { keepCaptures: true });
      const record = await executeRollback(ctx(), plan, { keepVerifiedCaptures: true });
      change(repos[1]);
      const before = fingerprints(repos);
      await assert.rejects(undoRollback(ctx(), record.id), (e: unknown) => {
        assert.ok(e instanceof EngineError, String(e));
        assert.strictEqual(e.code, 'Drift', e.message);
        assert.strictEqual(e.repo, repos[1].dir);
        assert.strictEqual(e.path, file);
        return true;
      });
      assert.deepStrictEqual(fingerprints(repos), before, 'nothing changed');
    });
  }

  it('a census taken after its capture (an undo’s, of its rollback’s verify) does not vouch for a folder changed since, its mtime put back', async function () {
    const { repos } = await campaignOf(2);
    repos.forEach(ageFolders);
    await ctimesSettle();
    const racyFromNs = captureStartNs();
    const captures = await Promise.all(repos.map((r) => captureWithIndex(r.dir)));
    try {
      writeMtimeBack(repos[1], 'dir/later.txt', 'extracted after the capture\n');
      const kept = await Promise.all(captures.map((c) => keptCapture(c, racyFromNs)));
      assert.deepStrictEqual(
        kept.map((k) => k?.folders !== undefined),
        [true, false],
        'the census vouches for the quiet repo only',
      );
      assert.deepStrictEqual(await Promise.all(kept.map((k) => stillCurrent(k!))), [true, false]);
    } finally {
      await Promise.all(captures.map((c) => c.release()));
    }
  });

  it('a file touched (stat changed, bytes the same): captured afresh, and the run goes on', async function () {
    const { repos, campaign } = await campaignOf(2);
    const plan = await planRollback(ctx(), { campaign }, [], { keepCaptures: true });
    const later = new Date(Date.now() + 5000);
    fs.utimesSync(repos[1].file('notes.txt'), later, later);
    const record = await executeRollback(ctx(), plan);
    assert.strictEqual(record.outcome, 'committed');
  });
});

describe('a plan’s kept captures: a large repo is captured afresh at its run', () => {
  const kit = RepoKit.forSuite();

  // proving 10,000 files unchanged from Node costs more than git's capture of them (keptMaxEntries)
  it('keeps the capture of a small repo, not of one of 10,000 files or more', async () => {
    const small = kit.repo(kit.tempDir(), { 'a.txt': 'a\n' });
    const files: Record<string, string> = {};
    for (let i = 0; i < 10_000; i++) files[`src/m${Math.floor(i / 100)}/f${i}.ts`] = `export const n = ${i};\n`;
    const large = kit.repo(kit.tempDir(), {});
    large.commitFiles(files, 'ten thousand');
    large.git('reset', '-q', '--hard');
    for (const [repo, kept] of [
      [small, true],
      [large, false],
    ] as const) {
      const capture = await captureWithIndex(repo.dir);
      try {
        assert.strictEqual(await keepable(capture), kept, repo.dir);
      } finally {
        await capture.release();
      }
    }
  });
});
