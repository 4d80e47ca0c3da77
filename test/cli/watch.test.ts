import * as assert from 'assert';
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { RepoKit, gitEnv, runCli, spawnedPids } from '../helpers/repoKit';

/**
 * `codecontext watch` (issue 23, item 1) as a user runs it: a real process watching real repos,
 * written to by a child process that is not ours. Each wait is for the watcher's own line, never a
 * sleep: a step on stdout, or "no step" on stderr.
 */
describe('codecontext watch', function () {
  const kit = RepoKit.forSuite();
  let child: ChildProcess | undefined;
  afterEach(() => {
    child?.kill('SIGKILL');
    child = undefined;
  });

  /** Lines of a stream, each awaited by a pattern in order. */
  function lines(stream: NodeJS.ReadableStream) {
    const seen: string[] = [];
    const waiting: { re: RegExp; resolve: (l: string) => void }[] = [];
    let buffer = '';
    let from = 0;
    const check = () => {
      while (waiting.length) {
        const i = seen.slice(from).findIndex((l) => waiting[0].re.test(l));
        if (i < 0) return;
        from += i + 1;
        waiting.shift()!.resolve(seen[from - 1]);
      }
    };
    stream.on('data', (d: Buffer) => {
      buffer += d.toString('utf8');
      const parts = buffer.split('\n');
      buffer = parts.pop()!;
      seen.push(...parts);
      check();
    });
    return {
      next: (re: RegExp) =>
        new Promise<string>((resolve) => {
          waiting.push({ re, resolve });
          check();
        }),
      seen,
    };
  }

  it('checkpoints what another process writes, once quiet; a rollback of ours makes no step; Ctrl-C stops it', async function () {
    const { root, repos, store } = kit.workspace(2, { 'a.txt': 'a\n' });
    const camp = (JSON.parse(runCli(['campaign', 'start', 'agent', '--root', root, '--json'], { store }).stdout) as { id: string }).id;
    child = spawn(process.execPath, [path.resolve(__dirname, '../../../dist/cli.js'), 'watch', camp, '--debounce', '0.2', '--json'], {
      env: { ...gitEnv, CODECONTEXT_HOME: store },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    spawnedPids.add(child.pid!);
    const out = lines(child.stdout!);
    const err = lines(child.stderr!);
    await err.next(/watching 2 repos/);

    // a writer that is not ours: a shell
    spawnSync('sh', ['-c', 'printf "a by a script\\n" > a.txt && mkdir -p src && printf "new\\n" > src/new.txt'], { cwd: repos[0].dir });
    const first = JSON.parse(await out.next(/"step"/)) as {
      step: { n: number; source: string; reposChanged: number; counts: { added: number; modified: number } };
    };
    assert.deepStrictEqual(
      [first.step.n, first.step.source, first.step.reposChanged, first.step.counts.added, first.step.counts.modified],
      [1, 'auto', 1, 1, 1],
    );

    // our own rollback writes the repo: heard, and no step
    const rb = runCli(['rollback', '--campaign', camp, '--only-step', '1'], { store });
    assert.strictEqual(rb.status, 0, rb.stderr);
    await err.next(/no step/);
    assert.strictEqual(repos[0].read('a.txt').toString(), 'a\n');

    // a write to a folder made while watching, in the other repo, is the next step
    spawnSync('sh', ['-c', 'mkdir -p deep/er && printf "x\\n" > deep/er/x.txt'], { cwd: repos[1].dir });
    await out.next(/"step"/);
    spawnSync('sh', ['-c', 'printf "y\\n" > deep/er/y.txt'], { cwd: repos[1].dir });
    const third = JSON.parse(await out.next(/"step"/)) as { step: { n: number; counts: { added: number } } };
    assert.deepStrictEqual([third.step.n, third.step.counts.added], [3, 1]);

    const log = JSON.parse(runCli(['campaign', 'log', camp, '--json'], { store }).stdout) as { steps: { n: number; source?: string }[] };
    assert.deepStrictEqual(
      log.steps.map((s) => [s.n, s.source]),
      [
        [1, 'auto'],
        [2, 'auto'],
        [3, 'auto'],
      ],
    );
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    assert.strictEqual(await exited, 0);
  });

  it('a campaign run at work is waited for: its own step records its writes; a rollback of the campaign ends the watch', async function () {
    const { root, repos, store } = kit.workspace(1, { 'a.txt': 'a\n' });
    const camp = (JSON.parse(runCli(['campaign', 'start', 'agent', '--root', root, '--json'], { store }).stdout) as { id: string }).id;
    const cli = path.resolve(__dirname, '../../../dist/cli.js');
    const env = { ...gitEnv, CODECONTEXT_HOME: store };
    child = spawn(process.execPath, [cli, 'watch', camp, '--debounce', '0.2', '--json'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    spawnedPids.add(child.pid!);
    const out = lines(child.stdout!);
    const err = lines(child.stderr!);
    await err.next(/watching 1 repo/);
    // the run's command writes, then waits for the gate: the watcher hears the write mid-run
    const gate = path.join(kit.tempDir('cc-gate-'), 'go');
    const script =
      `const fs=require('fs');fs.writeFileSync('a.txt','by the run\\n');` +
      `const t=setInterval(()=>{if(fs.existsSync(${JSON.stringify(gate)}))clearInterval(t)},5)`;
    const run = spawn(process.execPath, [cli, 'campaign', 'run', camp, '--', process.execPath, '-e', script], { env, stdio: 'ignore' });
    spawnedPids.add(run.pid!);
    const ran = new Promise<number | null>((resolve) => run.once('exit', (code) => resolve(code)));
    await err.next(/waiting: a campaign run is at work/);
    fs.writeFileSync(gate, '');
    assert.strictEqual(await ran, 0);
    await err.next(/no step/);
    assert.strictEqual(repos[0].read('a.txt').toString(), 'by the run\n');
    const log = JSON.parse(runCli(['campaign', 'log', camp, '--json'], { store }).stdout) as { steps: { n: number; source?: string; command?: string[] }[] };
    assert.deepStrictEqual(
      log.steps.map((s) => [s.n, s.source, !!s.command]),
      [[1, undefined, true]],
    );
    assert.deepStrictEqual(out.seen, []);
    // the campaign rolled back: its writes are heard, and the watch ends by itself
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    assert.strictEqual(runCli(['rollback', '--campaign', camp], { store }).status, 0);
    await err.next(/is rolled-back: nothing more to watch/);
    assert.strictEqual(await exited, 0);
    assert.strictEqual(repos[0].read('a.txt').toString(), 'a\n');
  });

  it('captures only the repos it heard a write in, and every repo it cannot hear all of (a nested repo): each step exact', async function () {
    const { root, repos, store } = kit.workspace(3, { 'a.txt': 'a\n' });
    // repo 2 holds a nested repo: its commits move repo 2's gitlink, which no watcher of repo 2 hears, so repo 2 is always captured
    kit.repo(path.join(repos[2].dir, 'vendor', 'inner'), { 'inner.txt': 'inner\n' });
    const camp = (JSON.parse(runCli(['campaign', 'start', 'agent', '--root', root, '--json'], { store }).stdout) as { id: string }).id;
    const cli = path.resolve(__dirname, '../../../dist/cli.js');
    child = spawn(process.execPath, [cli, 'watch', camp, '--debounce', '0.2', '--json', '--verbose'], {
      env: { ...gitEnv, CODECONTEXT_HOME: store },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    spawnedPids.add(child.pid!);
    const out = lines(child.stdout!);
    const err = lines(child.stderr!);
    // the nested repo is a repo of the campaign too
    await err.next(/watching 4 repos/);
    /** The repos (by index) an `add` ran in since `from` (a line count of stderr). */
    const addedIn = (from: number) =>
      repos.map((r, i) => (err.seen.slice(from).some((l) => / add /.test(l) && l.includes(`(${r.dir})`)) ? i : -1)).filter((i) => i >= 0);
    type Step = { step: { n: number; reposChanged: number; counts: { added: number; modified: number } } };

    // the watch captured each repo once as it began: the first checkpoint captures the one written, and repo 2
    let from = err.seen.length;
    spawnSync('sh', ['-c', 'printf "a by a script\\n" > a.txt'], { cwd: repos[0].dir });
    const first = JSON.parse(await out.next(/"step"/)) as Step;
    assert.deepStrictEqual([first.step.n, first.step.reposChanged, first.step.counts.modified], [1, 1, 1]);
    assert.deepStrictEqual(addedIn(from), [0, 2]);

    // a write in repo 1: repo 1 is captured, and repo 2 (it cannot hear all of it); repo 0 is as step 1 found it
    from = err.seen.length;
    spawnSync('sh', ['-c', 'printf "b\\n" > b.txt'], { cwd: repos[1].dir });
    const second = JSON.parse(await out.next(/"step"/)) as Step;
    assert.deepStrictEqual([second.step.n, second.step.reposChanged, second.step.counts.added], [2, 1, 1]);
    assert.deepStrictEqual(addedIn(from), [1, 2]);

    // repo 0 again: its state from step 1 is not what the step compares with any more, its capture is
    from = err.seen.length;
    spawnSync('sh', ['-c', 'printf "a again\\n" > a.txt && printf "c\\n" > c.txt'], { cwd: repos[0].dir });
    const third = JSON.parse(await out.next(/"step"/)) as Step;
    assert.deepStrictEqual([third.step.n, third.step.reposChanged, third.step.counts.added, third.step.counts.modified], [3, 1, 1, 1]);
    assert.deepStrictEqual(addedIn(from), [0, 2]);

    // each step's snapshot is what a full capture finds now
    const log = JSON.parse(runCli(['campaign', 'log', camp, '--json'], { store }).stdout) as { steps: { snapshot: string }[] };
    const fresh = JSON.parse(runCli(['snapshot', 'create', '--root', root, '--json'], { store }).stdout) as { id: string };
    assert.strictEqual(log.steps[2].snapshot, fresh.id);
    child.kill('SIGINT');
  });

  it('bad arguments: one line and a non-zero exit', function () {
    const { store } = kit.workspace(1);
    const r = runCli(['watch', 'camp_nope'], { store });
    assert.strictEqual(r.status, 1);
    assert.match(r.stderr, /camp_nope/);
    const d = runCli(['watch', 'x', '--debounce', 'soon'], { store });
    assert.strictEqual(d.status, 2);
    assert.match(d.stderr, /--debounce takes seconds/);
  });
});
