import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { RepoFingerprint, RepoKit, TestRepo, fingerprints, runCli } from '../helpers/repoKit';
import { assertNoLeftovers, assertOneSide } from '../helpers/sides';

/**
 * The crash matrix (issue 13): every scenario that changes a repo or the store is run once with
 * CODECONTEXT_FAULT_TRACE to learn each point it passes (every journal and run-log entry made
 * durable, every file operation, every pin, manifest and checkpoint write), then killed with
 * SIGKILL at each point in turn, then `codecontext recover`. After every case each repo is wholly
 * on one side, no byte that existed is lost (the sides' fingerprints hold every file, untracked
 * ones too), nothing of ours is left behind, and a second recover finds nothing to do.
 *
 * The matrix (scenario × point → outcome) is printed, for the record.
 */

interface Cell {
  scenario: string;
  point: string;
  outcome: string;
}

const matrix: Cell[] = [];

function points(trace: string): string[] {
  return fs.existsSync(trace) ? [...new Set(fs.readFileSync(trace, 'utf8').split('\n').filter(Boolean))] : [];
}

describe('crash matrix: kill -9 at every point, then recover', function () {
  this.timeout(600_000);
  const kit = RepoKit.forSuite();
  after(() => {
    const width = Math.max(...matrix.map((c) => c.scenario.length));
    const lines = matrix.map((c) => `      ${c.scenario.padEnd(width)}  ${c.point.padEnd(26)} ${c.outcome}`);
    console.log(`\n      crash matrix: ${matrix.length} cases\n${lines.join('\n')}\n`);
  });

  // A snapshot is content-addressed: a case's safety snapshot holds the same states as the reference
  // run's, which already saved it, so no manifest is written and a kill there is never reached.
  const safetySaved = { 'manifest#1': "the safety snapshot is the reference run's, already saved (a snapshot's id is its content)" };

  /** 3 repos from one template, a store, and a snapshot of them: the target. Then a campaign-like change, and the user's own file. */
  function workspace(): { root: string; repos: TestRepo[]; storeDir: string } {
    const template = kit.repo(path.join(kit.tempDir('cc-tpl-'), 'template'), { 'a.txt': 'a\n', 'b.txt': 'b\n', 'c.txt': 'c\n', 'dir/d.txt': 'd\n' });
    const { root, repos } = kit.copies(template, 3);
    return { root, repos, storeDir: kit.tempDir('cc-store-') };
  }

  const cli = (storeDir: string, args: string[], env: NodeJS.ProcessEnv = {}) => runCli(args, { store: storeDir, env });
  const json = <T>(storeDir: string, args: string[]): T => JSON.parse(cli(storeDir, [...args, '--json']).stdout) as T;
  const lastCommitted = (storeDir: string) =>
    json<{ id: string; kind: string; outcome: string; undoneBy?: string }[]>(storeDir, ['rollback', 'list']).find(
      (r) => r.kind === 'rollback' && r.outcome === 'committed' && !r.undoneBy,
    )!.id;

  function change(repos: TestRepo[]): void {
    for (const r of repos) r.write('a.txt', 'changed by the campaign\n').remove('b.txt').write('dir/new.txt', 'new\n');
  }

  interface Listed {
    id: string;
    kind: string;
    outcome: string;
    undoneBy?: string;
  }

  /** What the store says after a case, besides the repos' bytes: the checks of issue 20's crash matrix. */
  interface Books {
    /** The rollback records (`rollback list`), by id. */
    records: Map<string, Listed>;
    campaign?: string;
  }

  function books(storeDir: string, campaign?: string): Books {
    const records = new Map(json<Listed[]>(storeDir, ['rollback', 'list']).map((r) => [r.id, r]));
    const status = campaign ? json<{ id: string; status: string }[]>(storeDir, ['campaign', 'list']).find((c) => c.id === campaign)?.status : undefined;
    return { records, campaign: status };
  }

  /**
   * A transaction scenario: `op` takes the repos from `before` to `target`; `reset` brings them
   * from the target back to before. Killed at each point, recovered, checked: the repos' bytes,
   * and the store's bookkeeping, which must be what an uninterrupted run leaves (repos at the
   * target) or what was there before (repos as before): the record and its outcome, `undoneBy` of
   * an undone rollback, the campaign's status, and a whole evidence chain.
   */
  async function transactionMatrix(
    scenario: string,
    s: {
      storeDir: string;
      repos: TestRepo[];
      op: () => string[];
      reset: () => void;
      failing?: boolean;
      /** The campaign whose status the op sets, and its status at the target and before. */
      campaign?: { id: string; target: string; before: string };
      /** The rollback an undo undoes (read when the case starts). */
      undoes?: () => string;
      /** Points the reference run passes that a killed run cannot reach, and why. */
      unreachable?: Record<string, string>;
    },
  ): Promise<void> {
    const before = fingerprints(s.repos);
    const trace = path.join(kit.tempDir('cc-trace-'), 'points');
    const reference = cli(s.storeDir, s.op(), { CODECONTEXT_FAULT_TRACE: trace });
    assert.strictEqual(reference.status === 0, !s.failing, `${scenario}: reference run: ${reference.stderr}`);
    const target: Record<string, RepoFingerprint> = s.failing ? before : fingerprints(s.repos);
    if (!s.failing) s.reset();
    assert.deepStrictEqual(fingerprints(s.repos), before, `${scenario}: reset`);
    const all = points(trace);
    assert.ok(all.length >= 5, `${scenario}: points ${all.join(' ')}`);
    const notReached: string[] = [];
    for (const point of all) {
      const label = `${scenario} @ ${point}`;
      const undone = s.undoes?.();
      const earlier = books(s.storeDir, s.campaign?.id);
      const run = cli(s.storeDir, s.op(), { CODECONTEXT_FAULTS: `kill-at=${point}` });
      if (run.status !== -1) notReached.push(point);
      const rec = cli(s.storeDir, ['recover']);
      assert.strictEqual(rec.status, 0, `${label}: recover: ${rec.stdout}${rec.stderr}`);
      const side = assertOneSide(s.repos, before, target, label);
      assertNoLeftovers(s.repos);
      assert.match(cli(s.storeDir, ['recover']).stdout, /Nothing to recover/, `${label}: a second recover`);
      // the bookkeeping
      const now = books(s.storeDir, s.campaign?.id);
      const added = [...now.records.values()].filter((r) => !earlier.records.has(r.id));
      assert.ok(added.length <= 1, `${label}: one record at most: ${JSON.stringify(added)}`);
      const mine = added[0];
      if (side === 'target' && !s.failing) {
        assert.strictEqual(mine?.outcome, 'committed', `${label}: the record of a transaction that reached its target: ${JSON.stringify(mine)}`);
        if (undone) assert.strictEqual(now.records.get(undone)?.undoneBy, mine.id, `${label}: the undone rollback names its undo`);
        if (s.campaign) assert.strictEqual(now.campaign, s.campaign.target, `${label}: the campaign's status`);
      } else {
        assert.ok(!mine || mine.outcome !== 'committed', `${label}: nothing committed, yet the record says ${mine?.outcome}`);
        if (undone) assert.strictEqual(now.records.get(undone)?.undoneBy, undefined, `${label}: the rollback is not undone`);
        if (s.campaign) assert.strictEqual(now.campaign, s.campaign.before, `${label}: the campaign's status`);
      }
      const chain = cli(s.storeDir, ['evidence', 'verify', '--chain']);
      assert.strictEqual(chain.status, 0, `${label}: evidence verify --chain: ${chain.stdout}${chain.stderr}`);
      matrix.push({
        scenario,
        point,
        outcome:
          `${run.status === -1 ? 'killed' : `exit ${run.status} (not reached)`} → recover → all ${side === 'before' ? 'as before' : 'at target'}` +
          `, record ${mine?.outcome ?? 'none'}${s.campaign ? `, campaign ${now.campaign}` : ''}`,
      });
      if (side === 'target' && !s.failing) s.reset();
      assert.deepStrictEqual(fingerprints(s.repos), before, `${label}: back to the start`);
    }
    // a point the reference run passed but a kill never reached tests nothing: each is named, with why
    assert.deepStrictEqual(notReached.sort(), Object.keys(s.unreachable ?? {}).sort(), `${scenario}: points never reached by a kill`);
  }

  it("restore (rollback --snapshot --force, with the user's own file)", async function () {
    const { repos, storeDir } = workspace();
    const snap = json<{ id: string }>(storeDir, ['snapshot', 'create', ...repos.flatMap((r) => ['--repo', r.dir])]).id;
    change(repos);
    repos[1].write('mine.txt', "the user's file\n");
    await transactionMatrix('restore', {
      storeDir,
      repos,
      op: () => ['rollback', '--snapshot', snap, '--force'],
      reset: () => assert.strictEqual(cli(storeDir, ['rollback', 'undo', lastCommitted(storeDir), '--force']).status, 0),
      unreachable: safetySaved,
    });
  });

  it('restore that fails in one repo: the compensation of the others', async function () {
    const { repos, storeDir } = workspace();
    const snap = json<{ id: string }>(storeDir, ['snapshot', 'create', ...repos.flatMap((r) => ['--repo', r.dir])]).id;
    change(repos);
    // the last repo's branch stays locked: its commit fails, the others are put back
    fs.writeFileSync(path.join(repos[2].dir, '.git', 'refs', 'heads', 'main.lock'), '');
    await transactionMatrix('restore+compensate', {
      storeDir,
      repos,
      op: () => ['--parallel', '1', 'rollback', '--snapshot', snap],
      reset: () => undefined,
      failing: true,
      unreachable: safetySaved,
    });
    fs.rmSync(path.join(repos[2].dir, '.git', 'refs', 'heads', 'main.lock'));
  });

  it('replay (rollback --campaign --mode replay, keeping an edit made after the campaign)', async function () {
    const { root, repos, storeDir } = workspace();
    const camp = json<{ id: string }>(storeDir, ['campaign', 'start', 'edit', '--root', root]).id;
    change(repos);
    assert.strictEqual(cli(storeDir, ['campaign', 'checkpoint', camp]).status, 0);
    repos[0].write('c.txt', 'the user edited this after the campaign\n');
    await transactionMatrix('replay', {
      storeDir,
      repos,
      op: () => ['rollback', '--campaign', camp, '--mode', 'replay'],
      reset: () => assert.strictEqual(cli(storeDir, ['rollback', 'undo', lastCommitted(storeDir)]).status, 0),
      unreachable: safetySaved,
      campaign: { id: camp, target: 'rolled-back', before: 'active' },
    });
  });

  it("campaign baseline (rollback --campaign --force: the campaign's status goes with the repos)", async function () {
    const { root, repos, storeDir } = workspace();
    const camp = json<{ id: string }>(storeDir, ['campaign', 'start', 'bump', '--root', root]).id;
    change(repos);
    assert.strictEqual(cli(storeDir, ['campaign', 'checkpoint', camp]).status, 0);
    repos[2].write('mine.txt', "the user's file\n");
    await transactionMatrix('campaign baseline', {
      storeDir,
      repos,
      op: () => ['rollback', '--campaign', camp, '--force'],
      reset: () => assert.strictEqual(cli(storeDir, ['rollback', 'undo', lastCommitted(storeDir)]).status, 0),
      unreachable: safetySaved,
      campaign: { id: camp, target: 'rolled-back', before: 'active' },
    });
  });

  it('undo (rollback undo of a committed rollback)', async function () {
    const { repos, storeDir } = workspace();
    const snap = json<{ id: string }>(storeDir, ['snapshot', 'create', ...repos.flatMap((r) => ['--repo', r.dir])]).id;
    change(repos);
    assert.strictEqual(cli(storeDir, ['rollback', '--snapshot', snap]).status, 0);
    await transactionMatrix('undo', {
      storeDir,
      repos,
      op: () => ['rollback', 'undo', lastCommitted(storeDir)],
      reset: () => assert.strictEqual(cli(storeDir, ['rollback', '--snapshot', snap, '--force']).status, 0),
      undoes: () => lastCommitted(storeDir),
    });
  });

  it('campaign run: the step is recorded whatever the point, no command outlives it, nothing half-written', async function () {
    const { root, repos, storeDir } = workspace();
    const command = ['sh', '-c', 'printf "edited by the run\\n" > a.txt'];
    const original = fingerprints(repos);
    const trace = path.join(kit.tempDir('cc-trace-'), 'points');
    const first = json<{ id: string }>(storeDir, ['campaign', 'start', 'run0', '--root', root]).id;
    assert.strictEqual(cli(storeDir, ['campaign', 'run', first, '--', ...command], { CODECONTEXT_FAULT_TRACE: trace }).status, 0);
    for (const point of points(trace)) {
      for (const r of repos) r.write('a.txt', 'a\n');
      assert.deepStrictEqual(fingerprints(repos), original);
      const camp = json<{ id: string }>(storeDir, ['campaign', 'start', `run ${point}`, '--root', root]).id;
      const run = cli(storeDir, ['campaign', 'run', camp, '--', ...command], { CODECONTEXT_FAULTS: `kill-at=${point}` });
      const rec = cli(storeDir, ['recover']);
      assert.strictEqual(rec.status, 0, `${point}: ${rec.stdout}${rec.stderr}`);
      for (const r of repos) assert.match(r.read('a.txt').toString(), /^(a|edited by the run)\n$/, `${point}: ${r.dir}`);
      const log = json<{ steps: { command?: string[] }[] }>(storeDir, ['campaign', 'log', camp]);
      assert.ok(log.steps.length >= 1 && JSON.stringify(log.steps[0].command) === JSON.stringify(command), `${point}: the step is recorded`);
      // what is on disk is what the campaign recorded: a checkpoint now finds nothing new
      const after = json<{ step: { reposChanged: number } }>(storeDir, ['campaign', 'checkpoint', camp]);
      assert.strictEqual(after.step.reposChanged, 0, `${point}: the step recorded what the run did`);
      assertNoLeftovers(repos);
      matrix.push({
        scenario: 'campaign run',
        point,
        outcome: `${run.status === -1 ? 'killed' : `exit ${run.status}`} → recover → step ${log.steps.length === 1 ? 'recorded' : 'recorded (+ checkpoint)'}`,
      });
    }
  });

  it('campaign checkpoint and snapshot create: repos untouched, the store readable, and the next one works', async function () {
    const { root, repos, storeDir } = workspace();
    const original = fingerprints(repos);
    for (const [scenario, op] of [
      ['campaign checkpoint', (camp: string) => ['campaign', 'checkpoint', camp]],
      ['snapshot create', () => ['snapshot', 'create', '--root', root, '-m', 'nightly']],
    ] as const) {
      const trace = path.join(kit.tempDir('cc-trace-'), 'points');
      const camp = json<{ id: string }>(storeDir, ['campaign', 'start', scenario, '--root', root]).id;
      change(repos);
      assert.strictEqual(cli(storeDir, op(camp), { CODECONTEXT_FAULT_TRACE: trace }).status, 0);
      for (const point of points(trace)) {
        repos[0].write('c.txt', `edit before ${point}\n`);
        const now = fingerprints(repos);
        const run = cli(storeDir, op(camp), { CODECONTEXT_FAULTS: `kill-at=${point}` });
        assert.strictEqual(cli(storeDir, ['recover']).status, 0);
        assert.deepStrictEqual(fingerprints(repos), now, `${scenario} @ ${point}: repos untouched`);
        assert.strictEqual(cli(storeDir, ['campaign', 'log', camp]).status, 0, `${scenario} @ ${point}: campaign readable`);
        const list = cli(storeDir, ['snapshot', 'list']);
        assert.strictEqual(list.status, 0, `${scenario} @ ${point}: snapshots readable`);
        assert.doesNotMatch(list.stdout, /invalid/i, `${scenario} @ ${point}: no half-written manifest`);
        assert.strictEqual(cli(storeDir, op(camp)).status, 0, `${scenario} @ ${point}: the next one works`);
        assertNoLeftovers(repos, true);
        matrix.push({ scenario, point, outcome: `${run.status === -1 ? 'killed' : `exit ${run.status}`} → recover → repos untouched, store readable` });
      }
      for (const r of repos) r.write('a.txt', 'a\n').write('b.txt', 'b\n').remove('dir/new.txt').write('c.txt', 'c\n');
      assert.deepStrictEqual(fingerprints(repos), original);
    }
  });

  it('ENOSPC in the repos (a small tmpfs): at every amount of room, one side, and recover finishes', async function () {
    if (process.platform !== 'linux' || process.getuid?.() !== 0) {
      console.log('      (skipped: needs root to mount a small tmpfs for the repos)');
      this.skip();
    }
    const mount = kit.tempDir('cc-repofull-');
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mount]);
    try {
      const template = kit.repo(path.join(mount, 'template'), Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`f${i}.txt`, `${i}\n`.repeat(2000)])));
      const repos = [1, 2, 3].map((i) => {
        const dir = path.join(mount, `repo-${i}`);
        fs.cpSync(template.dir, dir, { recursive: true });
        return new TestRepo(dir);
      });
      fs.rmSync(template.dir, { recursive: true, force: true });
      const storeDir = kit.tempDir('cc-store-');
      const snap = json<{ id: string }>(storeDir, ['snapshot', 'create', ...repos.flatMap((r) => ['--repo', r.dir])]).id;
      const target = fingerprints(repos);
      const fill = path.join(mount, 'fill');
      const seen = new Set<string>();
      // from no room to enough for the files the rollback stages (about 200 pages here)
      for (const free of [0, 4, 16, 32, 64, 96, 400]) {
        for (const r of repos) for (let i = 0; i < 8; i++) r.write(`f${i}.txt`, `changed ${i} at ${free}\n`.repeat(1500));
        const before = fingerprints(repos);
        const avail = Number(execFileSync('df', ['--output=avail', '-B1', mount], { encoding: 'utf8' }).split('\n')[1]);
        fs.writeFileSync(fill, Buffer.alloc(Math.max(0, avail - free * 4096)));
        const run = cli(storeDir, ['rollback', '--snapshot', snap, '--force']);
        fs.rmSync(fill, { force: true });
        const rec = cli(storeDir, ['recover']);
        assert.strictEqual(rec.status, 0, `free ${free}: ${rec.stdout}${rec.stderr}`);
        const side = assertOneSide(repos, before, target, `free ${free} pages: ${run.stderr}`);
        assertNoLeftovers(repos);
        if (run.status !== 0) assert.doesNotMatch(run.stderr, /internal error/);
        seen.add(run.status === 0 ? 'ok' : /ENOSPC|no space left/.test(run.stderr) ? 'ENOSPC' : 'other');
        matrix.push({
          scenario: 'ENOSPC in repos',
          point: `${free} pages free`,
          outcome: `${run.status === 0 ? 'ok' : run.stderr.trim().slice(12, 80)} → all ${side === 'before' ? 'as before' : 'at target'}`,
        });
      }
      assert.ok(seen.has('ENOSPC') && seen.has('ok') && !seen.has('other'), [...seen].join(' '));
    } finally {
      execFileSync('umount', [mount]);
    }
  });
});
