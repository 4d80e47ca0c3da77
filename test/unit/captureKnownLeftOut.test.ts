import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { RepoKit, TestRepo, gitEnv } from '../helpers/repoKit';

/**
 * A verify's capture is given the files over the size cap it may meet (those its goal left out and
 * those its prepare's capture did) instead of listing the untracked files: one git process instead
 * of two (issue 24). Its state must be the one a full capture finds, and a file over the cap that
 * nobody knew of is captured, so the state differs from a goal without it, as any file written
 * during a rollback does. Each capture runs in a process of its own, where the cap is 1 KiB
 * ($CODECONTEXT_MAX_FILE_BYTES is read once per process).
 */
describe('capture: the files over the size cap given, no listing', function () {
  this.timeout(60_000);
  const kit = RepoKit.forSuite();
  const repoState = path.resolve(__dirname, '../../server/src/engine/repo/repoState.js');
  const gitRunner = path.resolve(__dirname, '../../server/src/engine/git/gitRunner.js');

  interface Captured {
    state: { head?: string; index: string; worktree: string; leftOut?: { path: string; size: number }[] };
    commands: string[];
  }

  /** One capture in a process of its own with a 1 KiB cap; `leftOut` as a verify gives it, or none: a full capture. */
  function capture(repo: TestRepo, leftOut?: { path: string; size: number }[], cap = '1024'): Captured {
    const script = `
      const { setGitLogger } = require(${JSON.stringify(gitRunner)});
      const { captureRepoState } = require(${JSON.stringify(repoState)});
      const commands = [];
      setGitLogger((line) => commands.push(line));
      captureRepoState(process.argv[1], process.argv[2] ? { leftOut: JSON.parse(process.argv[2]) } : {}).then((state) => {
        process.stdout.write(JSON.stringify({ state, commands }));
        process.exit(0);
      });`;
    const out = execFileSync(process.execPath, ['-e', script, repo.dir, leftOut ? JSON.stringify(leftOut) : ''], {
      env: { ...gitEnv, CODECONTEXT_MAX_FILE_BYTES: cap },
    });
    return JSON.parse(out.toString()) as Captured;
  }

  function scene(files: Record<string, string>): TestRepo {
    const repo = kit.repo(path.join(kit.tempDir(), 'r'), { ...files, '.gitignore': '*.log\n' });
    repo.write('a.txt', 'edited\n').write('new.txt', 'new\n').write('data/big.bin', Buffer.alloc(2048, 7)).write('debug.log', Buffer.alloc(4096, 1));
    return repo;
  }

  it('a run whose plan found no file over the cap, and one was written since: refused as a changed plan, nothing changed', function () {
    const repo = kit.repo(path.join(kit.tempDir(), 'r'), { 'a.txt': 'a\n' });
    const engine = path.resolve(__dirname, '../../server/src/engine');
    const store = path.join(kit.tempDir(), 'store');
    const script = `
      const { Store } = require(${JSON.stringify(`${engine}/store/store.js`)});
      const { createSnapshot } = require(${JSON.stringify(`${engine}/snapshot/snapshot.js`)});
      const { planRollback } = require(${JSON.stringify(`${engine}/rollback/plan/plan.js`)});
      const { executeRollback } = require(${JSON.stringify(`${engine}/rollback/tx/transaction.js`)});
      const fs = require('fs');
      const [repo, storeDir] = process.argv.slice(1);
      (async () => {
        const ctx = { store: new Store(storeDir), parallelism: 2 };
        const snap = await createSnapshot(ctx.store, [repo]);
        fs.writeFileSync(repo + '/a.txt', 'edited\\n');
        const plan = await planRollback(ctx, { snapshot: snap.id });
        fs.writeFileSync(repo + '/late.bin', Buffer.alloc(2048, 3));
        try {
          await executeRollback(ctx, plan);
          process.stdout.write(JSON.stringify({ ran: true }));
        } catch (e) {
          process.stdout.write(JSON.stringify({ code: e.code, message: e.message }));
        }
        process.exit(0);
      })();`;
    const out = JSON.parse(
      execFileSync(process.execPath, ['-e', script, repo.dir, store], { env: { ...gitEnv, CODECONTEXT_MAX_FILE_BYTES: '1024' } }).toString(),
    ) as { ran?: boolean; code?: string; message?: string };
    assert.strictEqual(out.code, 'PlanStale', JSON.stringify(out));
    assert.match(out.message!, /changed since the plan was made .*nothing was changed/);
    assert.strictEqual(repo.read('a.txt').toString(), 'edited\n');
    assert.deepStrictEqual(repo.read('late.bin'), Buffer.alloc(2048, 3));
  });

  it('no cap in this process ($CODECONTEXT_MAX_FILE_BYTES=0): a file a goal left out elsewhere is captured, as a listing capture takes it', function () {
    const repo = scene({ 'a.txt': 'a\n' });
    const given = capture(repo, [{ path: 'data/big.bin', size: 2048 }], '0');
    assert.strictEqual(given.state.leftOut, undefined);
    assert.ok(repo.filesOf(given.state.worktree)['data/big.bin']);
    assert.strictEqual(given.state.worktree, capture(repo, undefined, '0').state.worktree);
  });

  for (const size of ['a small repo', 'a repo of 10,000 files or more']) {
    it(`${size}: the state a full capture finds, with one git process; a file over the cap nobody knew of is captured`, function () {
      const files: Record<string, string> = { 'a.txt': 'a\n' };
      if (size !== 'a small repo') for (let i = 0; i < 10_050; i++) files[`src/m${Math.floor(i / 100)}/f${i}.ts`] = `export const n = ${i};\n`;
      const repo = scene(files);
      const full = capture(repo);
      assert.deepStrictEqual(full.state.leftOut, [{ path: 'data/big.bin', size: 2048 }]);
      assert.ok(
        full.commands.some((c) => / ls-files -o /.test(c)),
        full.commands.join('\n'),
      );

      // a known file that no longer exists is no longer left out; the one still there is
      const given = capture(repo, [...full.state.leftOut!, { path: 'gone.bin', size: 5000 }]);
      assert.deepStrictEqual(given.state, full.state);
      assert.ok(!given.commands.some((c) => / ls-files -o /.test(c)), given.commands.join('\n'));
      assert.deepStrictEqual(
        given.commands.filter((c) => / add /.test(c)).map((c) => / add -A /.test(c)),
        [true],
        given.commands.join('\n'),
      );

      // written since, over the cap, and not known: captured, so this state is not the goal's
      fs.writeFileSync(repo.file('data/other.bin'), Buffer.alloc(3000, 2));
      const met = capture(repo, full.state.leftOut);
      assert.notStrictEqual(met.state.worktree, full.state.worktree);
      assert.ok(repo.filesOf(met.state.worktree)['data/other.bin']);
      assert.ok(!repo.filesOf(met.state.worktree)['data/big.bin'] && !repo.filesOf(met.state.worktree)['debug.log']);
      assert.deepStrictEqual(met.state.leftOut, [{ path: 'data/big.bin', size: 2048 }]);
    });
  }
});
