import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { CliResult, RepoKit, runCli, runCliAsync } from '../helpers/repoKit';

/**
 * The CLI as a user meets it: the built dist/cli.js in a child process, a store of the test's own.
 * Exit status 0 ok, 1 refused or failed, 2 usage; `--json` answers and errors on stdout.
 */
describe('codecontext CLI', function () {
  const kit = new RepoKit();
  let store: string;
  const cli = (...args: string[]) => runCli(args, { store, cwd: kit.tempDir('cc-cwd-') });
  /** Independent invocations, run side by side. */
  const cliAll = (argvs: string[][]): Promise<CliResult[]> => {
    const cwd = kit.tempDir('cc-cwd-');
    return Promise.all(argvs.map((args) => runCliAsync(args, { store, cwd })));
  };
  const json = (...args: string[]) => {
    const r = cli('--json', ...args);
    return { ...r, value: JSON.parse(r.stdout) };
  };
  /** A refusal: exit 1 and exactly one line on stderr, which is returned. */
  const oneLineFailure = (r: { status: number; stderr: string }): string => {
    assert.strictEqual(r.status, 1, r.stderr);
    const lines = r.stderr.trimEnd().split('\n');
    assert.strictEqual(lines.length, 1, `expected one line on stderr, got:\n${r.stderr}`);
    assert.match(lines[0], /^codecontext: /);
    return lines[0];
  };

  beforeEach(() => {
    store = kit.tempDir('cc-store-');
  });
  afterEach(() => kit.cleanup());

  it('--help lists every command, and every command has --help with an Example', async function () {
    const top = cli('--help');
    assert.strictEqual(top.status, 0);
    assert.match(top.stdout, /^Example/m);
    const section = top.stdout.split('Commands:\n')[1].split('\n\n')[0];
    const names = section
      .split('\n')
      .filter((l) => /^ {2}\S/.test(l))
      .map((l) =>
        l
          .trim()
          .split(/ [<[-]/)[0]
          .trim(),
      );
    for (const expected of [
      'snapshot create',
      'snapshot list',
      'snapshot show',
      'snapshot verify',
      'campaign start',
      'campaign run',
      'campaign checkpoint',
      'campaign log',
      'campaign diff',
      'campaign list',
      'repos',
    ]) {
      assert.ok(names.includes(expected), `${expected} missing from --help: ${names.join(', ')}`);
    }
    const helps = await cliAll(names.map((name) => [...name.split(' '), '--help']));
    names.forEach((name, i) => {
      const r = helps[i];
      assert.strictEqual(r.status, 0, `${name} --help: ${r.stderr}`);
      assert.match(r.stdout, /^Usage: codecontext /m, name);
      assert.match(r.stdout, /^Examples?:\n {2}codecontext \S/m, `${name} --help has no Example`);
    });
    assert.strictEqual(cli('help', 'snapshot', 'create').stdout, cli('snapshot', 'create', '--help').stdout);
    assert.strictEqual(cli('--version').stdout.trim(), JSON.parse(fs.readFileSync(path.join(__dirname, '../../../package.json'), 'utf8')).version);
  });

  it('usage mistakes exit 2 with the usage line; --json gives the error object', async function () {
    const cases: string[][] = [
      [],
      ['bogus'],
      ['snapshot'],
      ['snapshot', 'bogus'],
      ['snapshot', 'show'],
      ['snapshot', 'show', 'a', 'b'],
      ['snapshot', 'list', '--bogus'],
      ['--parallel', '0', 'snapshot', 'list'],
      ['campaign', 'run', 'camp_0123456789ab'],
      ['campaign', 'diff', 'x', '--step', 'two'],
    ];
    const plain = await cliAll(cases);
    const jsonCases = cases.filter((args) => args.length > 0);
    const asJson = await cliAll(jsonCases.map((args) => ['--json', ...args]));
    cases.forEach((args, i) => {
      const r = plain[i];
      assert.strictEqual(r.status, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.notStrictEqual((r.stdout + r.stderr).trim(), '', `${args.join(' ')} said nothing`);
    });
    jsonCases.forEach((args, i) => {
      const j = asJson[i];
      assert.strictEqual(j.status, 2, args.join(' '));
      const { error } = JSON.parse(j.stdout);
      assert.strictEqual(error.code, 'Usage', args.join(' '));
      assert.strictEqual(typeof error.message, 'string');
    });
    assert.match(cli('snapshot', 'show').stderr, /Usage: codecontext snapshot show <snap>/);
  });

  it('unknown ids exit 1 with one clear line naming the id (and a JSON error with --json)', async function () {
    const cases: [string[], string][] = [
      [['snapshot', 'show', 'snap_ffffffffffff'], 'snap_ffffffffffff'],
      [['snapshot', 'verify', 'snap_ffffffffffff'], 'snap_ffffffffffff'],
      [['snapshot', 'show', 'not-an-id'], 'not-an-id'],
      [['campaign', 'log', 'camp_ffffffffffff'], 'camp_ffffffffffff'],
      [['campaign', 'log', 'no-such-campaign'], 'no-such-campaign'],
      [['campaign', 'diff', 'no-such-campaign'], 'no-such-campaign'],
      [['campaign', 'checkpoint', 'no-such-campaign'], 'no-such-campaign'],
      [['campaign', 'run', 'no-such-campaign', '--', 'true'], 'no-such-campaign'],
    ];
    const plain = await cliAll(cases.map(([args]) => args));
    const asJson = await cliAll(cases.map(([args]) => ['--json', ...args]));
    cases.forEach(([args, id], i) => {
      const line = oneLineFailure(plain[i]);
      assert.ok(line.includes(id), `${args.join(' ')}: ${line}`);
      const j = asJson[i];
      assert.strictEqual(j.status, 1);
      const { error } = JSON.parse(j.stdout);
      assert.strictEqual(error.code, 'UnknownId', args.join(' '));
      assert.ok(error.message.includes(id));
    });
  });

  it('snapshot create / list / show / verify, with their --json shapes; a tampered manifest fails verify', function () {
    const { root, repos } = kit.workspace(2);
    repos[0].write('wip.txt', 'wip\n');
    const created = cli('snapshot', 'create', '--root', root, '-m', 'before');
    assert.strictEqual(created.status, 0, created.stderr);
    const id = created.stdout.trim();
    assert.match(id, /^snap_[0-9a-f]{16}$/);

    const again = json('snapshot', 'create', '--repo', repos[1].dir, '--repo', repos[0].dir, '-m', 'before');
    assert.strictEqual(again.value.id, id, 'same states, same id');
    assert.deepStrictEqual(Object.keys(again.value).sort(), ['createdAt', 'format', 'id', 'message', 'repos', 'reused', 'seal', 'toolVersion']);
    assert.strictEqual(again.value.reused, true, 'the same states are the snapshot already made, and --json says so');
    assert.deepStrictEqual(
      again.value.repos.map((r: Record<string, unknown>) => Object.keys(r).sort()),
      [
        ['head', 'index', 'path', 'ref', 'worktree'],
        ['head', 'index', 'path', 'ref', 'worktree'],
      ],
    );
    assert.deepStrictEqual(
      again.value.repos.map((r: { path: string }) => r.path),
      repos.map((r) => r.dir),
    );

    const list = json('snapshot', 'list');
    assert.deepStrictEqual(list.value, [{ id, createdAt: list.value[0].createdAt, message: 'before', repoCount: 2, valid: true }]);
    assert.match(cli('snapshot', 'list').stdout, new RegExp(`^${id} `, 'm'));

    const shown = cli('snapshot', 'show', id.slice(0, 10));
    assert.strictEqual(shown.status, 0);
    assert.ok(shown.stdout.includes(repos[0].dir) || shown.stdout.includes('repo-00'), shown.stdout);
    assert.match(shown.stdout, /\bmain\b/);
    assert.strictEqual(json('snapshot', 'show', id).value.id, id);

    const ok = cli('snapshot', 'verify', id);
    assert.strictEqual(ok.status, 0);
    assert.match(ok.stdout, /OK/);
    assert.deepStrictEqual(json('snapshot', 'verify', id).value, { id, ok: true, repos: repos.map((r) => ({ path: r.dir, ok: true, problems: [] })) });

    const file = path.join(store, 'snapshots', `${id}.json`);
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('"before"', '"after"'));
    const line = oneLineFailure(cli('snapshot', 'verify', id));
    assert.match(line, /modified/);
    const j = json('snapshot', 'verify', id);
    assert.strictEqual(j.status, 1);
    assert.deepStrictEqual(Object.keys(j.value), ['error']);
    assert.strictEqual(j.value.error.code, 'TamperedManifest');
    assert.strictEqual(j.value.error.path, file);
    assert.match(cli('snapshot', 'list').stdout, /MODIFIED/);

    // A repo that lost its objects' pin: verify answers (exit 1), it does not crash.
    const { reused: _reused, ...manifest } = again.value; // `reused` is said by create, not stored
    fs.writeFileSync(file, JSON.stringify(manifest, null, 2) + '\n');
    repos[1].git('update-ref', '-d', `refs/codecontext/snapshots/${id}`);
    const broken = cli('snapshot', 'verify', id);
    assert.strictEqual(broken.status, 1);
    assert.match(broken.stdout, /FAILED/);
    assert.ok(broken.stdout.includes('pin ref'), broken.stdout);
  });

  it('a mid-merge repo: exit 1, the message names the repo, nothing written', function () {
    const { root, repos } = kit.workspace(2);
    repos[1].conflictedMerge();
    const line = oneLineFailure(cli('snapshot', 'create', '--root', root));
    assert.ok(line.includes(repos[1].dir), line);
    assert.match(line, /merge is in progress/);
    const j = json('campaign', 'start', 'blocked', '--root', root);
    assert.strictEqual(j.status, 1);
    assert.strictEqual(j.value.error.code, 'MergeInProgress');
    assert.strictEqual(j.value.error.repo, repos[1].dir);
    for (const r of repos) assert.deepStrictEqual(r.codecontextRefs(), []);
    assert.deepStrictEqual(json('snapshot', 'list').value, []);
    assert.deepStrictEqual(json('campaign', 'list').value, []);
  });

  it('campaign start / run / checkpoint / log / diff / list; a failing repo makes run exit 1 and is named', function () {
    const { root, repos } = kit.workspace(3, { 'src/log.ts': 'oldLogger()\n' });
    const started = json('campaign', 'start', 'rename-logger', '--root', root);
    assert.strictEqual(started.status, 0, started.stderr);
    const camp = started.value;
    assert.match(camp.id, /^camp_[0-9a-f]{12}$/);
    assert.deepStrictEqual(
      camp.repos,
      repos.map((r) => r.dir),
    );
    assert.match(camp.baseline, /^snap_/);

    const script = 'sed -i s/oldLogger/newLogger/ src/log.ts; [ "$(basename "$CODECONTEXT_REPO")" != repo-01 ] || { echo broke >&2; exit 3; }';
    const run = cli('campaign', 'run', 'rename-logger', '--', 'sh', '-c', script);
    assert.strictEqual(run.status, 1, run.stderr);
    assert.match(run.stdout, /^FAILED repo-01: exit 3: broke$/m);
    assert.match(run.stdout, /3 repos changed: 3 modified; \+3 -3/);

    const log = json('campaign', 'log', camp.id);
    assert.strictEqual(log.value.steps.length, 1);
    assert.deepStrictEqual(log.value.steps[0].command, ['sh', '-c', script]);
    assert.deepStrictEqual(
      log.value.steps[0].results.map((r: { exitCode: number }) => r.exitCode),
      [0, 3, 0],
    );
    assert.match(cli('campaign', 'log', 'rename-logger').stdout, /1 repo failed: repo-01 \(exit 3\)/);

    repos[2].write('notes.md', 'manual fix\n');
    const cp = json('campaign', 'checkpoint', camp.id, '-m', 'manual fixes');
    assert.strictEqual(cp.status, 0);
    assert.deepStrictEqual(Object.keys(cp.value).sort(), ['campaign', 'changes', 'step']);
    assert.deepStrictEqual(
      cp.value.changes.map((c: { path: string; kind: string }) => [c.path, c.kind]),
      [['notes.md', 'added']],
    );

    const diff = cli('campaign', 'diff', camp.id, '--step', '1');
    assert.strictEqual(diff.status, 0);
    assert.match(diff.stdout, /^\+\+\+ b\/repo-02\/src\/log\.ts$/m);
    assert.match(diff.stdout, /^\+newLogger\(\)$/m);
    assert.deepStrictEqual(json('campaign', 'diff', camp.id).value.step, null);
    oneLineFailure(cli('campaign', 'diff', camp.id, '--step', '9'));

    const all = json('campaign', 'list').value;
    assert.deepStrictEqual(
      all.map((c: { id: string; repoCount: number; steps: unknown[] }) => [c.id, c.repoCount, c.steps.length]),
      [[camp.id, 3, 2]],
    );
    assert.strictEqual(cli('campaign', 'run', camp.id, '--', 'true').status, 0);
  });

  it('repos lists repos with their kind', function () {
    const root = kit.tempDir('cc-ws-');
    kit.repo(path.join(root, 'a'));
    kit.repo(path.join(root, 'a', 'inner'));
    const j = json('repos', '--root', root);
    assert.strictEqual(j.status, 0);
    assert.deepStrictEqual(j.value, [
      { path: path.join(root, 'a'), kind: 'repo' },
      { path: path.join(root, 'a', 'inner'), kind: 'nested', parent: path.join(root, 'a') },
    ]);
    assert.match(cli('repos', '--root', root).stdout, /inner\s+nested/);
    const missing = json('repos', '--root', path.join(root, 'missing'));
    assert.strictEqual(missing.status, 1);
    assert.strictEqual(missing.value.error.code, 'RepoMissing');
  });
});
