import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { RepoKit, runCli } from '../helpers/repoKit';

/** Re-run only what failed, from a machine-readable record (issue 14, part 2). */
describe('resumable campaign runs', function () {
  const kit = RepoKit.forSuite();

  it('--json gives each repo its exit code, duration, output tail and files; --only-failed and --repos-from run just those, as new steps', function () {
    const { root, repos, store } = kit.workspace(3);
    const camp = JSON.parse(runCli(['campaign', 'start', 'bump', '--root', root, '--json'], { store }).stdout).id as string;
    repos[1].write('fail-here', 'x\n');
    for (const r of repos) fs.appendFileSync(path.join(r.dir, '.git', 'info', 'exclude'), 'fail-here\nruns.txt\n');
    const command = ['--', 'sh', '-c', 'echo run >> runs.txt; if [ -f fail-here ]; then echo "no version field" >&2; exit 3; fi; echo 2.0.0 > VERSION'];
    const first = runCli(['campaign', 'run', camp, '--json', ...command], { store });
    assert.strictEqual(first.status, 1);
    const run = JSON.parse(first.stdout) as { repos: { repo: string; exitCode: number; durationMs: number; outputTail: string; files: string[] }[] };
    assert.deepStrictEqual(
      run.repos.map((r) => [path.basename(r.repo), r.exitCode]),
      [
        ['repo-00', 0],
        ['repo-01', 3],
        ['repo-02', 0],
      ],
    );
    assert.match(run.repos[1].outputTail, /no version field/);
    assert.deepStrictEqual(run.repos[0].files, ['VERSION']);
    assert.ok(run.repos.every((r) => typeof r.durationMs === 'number'));
    const log = runCli(['campaign', 'log', camp], { store });
    assert.match(log.stdout, /1 repo failed: repo-01 \(exit 3\)/);
    fs.writeFileSync(path.join(root, 'run.json'), first.stdout);

    repos[1].remove('fail-here');
    const again = runCli(['campaign', 'run', camp, '--only-failed', ...command], { store });
    assert.strictEqual(again.status, 0, again.stderr);
    const lines = (i: number) => repos[i].read('runs.txt').toString().split('\n').filter(Boolean).length;
    assert.deepStrictEqual([lines(0), lines(1), lines(2)], [1, 2, 1], 'only the failed repo ran again');
    assert.strictEqual(repos[1].read('VERSION').toString(), '2.0.0\n');

    const fromJson = runCli(['campaign', 'run', camp, '--repos-from', path.join(root, 'run.json'), ...command], { store });
    assert.strictEqual(fromJson.status, 0, fromJson.stderr);
    assert.deepStrictEqual([lines(0), lines(1), lines(2)], [1, 3, 1], 'the JSON names repo-01 as failed');
    fs.writeFileSync(path.join(root, 'list.txt'), `# two repos\n${repos[0].dir}\n\n${repos[2].dir}\n`);
    assert.strictEqual(runCli(['campaign', 'run', camp, '--repos-from', path.join(root, 'list.txt'), ...command], { store }).status, 0);
    assert.deepStrictEqual([lines(0), lines(1), lines(2)], [2, 3, 2]);
    const steps = (JSON.parse(runCli(['campaign', 'log', camp, '--json'], { store }).stdout) as { steps: unknown[] }).steps;
    assert.strictEqual(steps.length, 4, 'each run is a step of its own');
    const stranger = runCli(['campaign', 'run', camp, '--repos-from', path.join(root, 'run.json'), '--only-failed', ...command], { store });
    assert.strictEqual(stranger.status, 2);
  });
});
