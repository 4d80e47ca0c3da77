import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import type { EvidencePack } from '../../server/src/engine/rollback/evidence/pack';
import type { RollbackPlan } from '../../server/src/engine/rollback/plan/plan';
import { RepoKit, TestRepo, git, gitTry, runCli, runCliAsync, userEnv } from '../helpers/repoKit';
import { GitServer, startGitDaemon, startSmartHttp } from '../helpers/gitServers';

/**
 * Issue 22, items 2-4 and 6-7: the campaign's pushed work rolled back on its remotes, in the same
 * transaction as the local repos, against real git servers on this machine (bare repos over
 * file://, `git daemon`, smart HTTP through `git http-backend`). Each failure leaves every remote
 * exactly as it was before the rollback, and another party's push intact. The CLI runs as a user's
 * would: a HOME of the test's own, no GIT_CONFIG_* variable.
 */

type Transport = 'file' | 'daemon' | 'http';

interface World {
  root: string;
  store: string;
  repos: TestRepo[];
  /** The bare remotes, by repo index. */
  bares: string[];
  env: NodeJS.ProcessEnv;
  cli: (...args: string[]) => ReturnType<typeof runCli>;
  baseline: string;
  server?: GitServer;
  /** The folder of the bare remotes. */
  remotesDir: string;
  url: (i: number) => string;
}

/** Resolves once `file` exists (the fault point's signal). */
async function waitFor(file: string): Promise<void> {
  while (!fs.existsSync(file)) await new Promise((r) => setTimeout(r, 20));
}

/** Every ref of a bare remote, as `ref → value`. */
function refsOf(bare: string): Record<string, string> {
  const out = git(bare, 'for-each-ref', '--format=%(refname) %(objectname)');
  return Object.fromEntries(
    out
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(' ') as [string, string]),
  );
}

describe('a campaign that pushed, rolled back on its remotes too (--remote, real git servers)', function () {
  this.timeout(120_000);
  const kit = RepoKit.forSuite();
  const servers: GitServer[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.stop();
  });

  async function world(count: number, transport: Transport = 'file', options: { chain?: boolean } = {}): Promise<World> {
    const files = (i: number): Record<string, string> => ({
      'a.txt': 'v1\n',
      'b.txt': 'b\n',
      ...(options.chain ? { 'package.json': JSON.stringify({ name: `pkg-${i}`, dependencies: i ? { [`pkg-${i - 1}`]: '*' } : {} }) + '\n' } : {}),
    });
    const root = kit.tempDir('cc-ws-');
    const repos = Array.from({ length: count }, (_, i) => kit.repo(path.join(root, `repo-${String(i).padStart(2, '0')}`), files(i)));
    const store = kit.tempDir('cc-store-');
    const home = kit.tempDir('cc-home-');
    fs.writeFileSync(path.join(home, '.gitconfig'), '[user]\n\tname = Home User\n\temail = home@example.com\n[protocol "file"]\n\tallow = always\n');
    const env = userEnv(home);
    const remotesDir = kit.tempDir('cc-remotes-');
    const bares = repos.map((r) => {
      const bare = path.join(remotesDir, `${path.basename(r.dir)}.git`);
      git(remotesDir, 'init', '-q', '--bare', '-b', 'main', bare);
      git(bare, 'config', 'http.receivepack', 'true');
      return bare;
    });
    let server: GitServer | undefined;
    if (transport === 'daemon') server = await startGitDaemon(remotesDir, env);
    if (transport === 'http') server = await startSmartHttp(remotesDir, env);
    if (server) servers.push(server);
    const url = (i: number) => (server ? server.url(path.basename(bares[i])) : `file://${bares[i]}`);
    repos.forEach((r, i) => {
      r.git('remote', 'add', 'origin', url(i));
      r.git('push', '-q', '-u', 'origin', 'main');
    });
    const cli = (...args: string[]) => runCli(args, { store, cwd: root, baseEnv: env });
    const baseline = repos[0].head();
    const started = cli('campaign', 'start', 'bump', '--root', root);
    assert.strictEqual(started.status, 0, started.stderr);
    return { root, store, repos, bares, env, cli, baseline, server, url, remotesDir };
  }

  /** The campaign: main advanced and pushed, a branch created and pushed, a tag created and pushed, in every repo. */
  function campaign(w: World): void {
    const step =
      'echo v2 > a.txt && git commit -qam bump && git push -q origin main && ' +
      'git checkout -q -b campaign/feat && echo f > f.txt && git add f.txt && git commit -qm feat && git push -q origin campaign/feat && ' +
      'git tag v9 && git push -q origin v9 && git checkout -q main';
    const run = w.cli('campaign', 'run', 'bump', '--', 'sh', '-c', step);
    assert.strictEqual(run.status, 0, run.stdout + run.stderr);
  }

  /** Another clone of remote `i` pushes a commit on main. */
  function colleague(w: World, i: number, file: string, content: string): string {
    const dir = kit.tempDir('cc-colleague-');
    git(dir, '-c', 'protocol.file.allow=always', 'clone', '-q', w.url(i), 'c');
    const c = path.join(dir, 'c');
    fs.writeFileSync(path.join(c, file), content);
    git(c, 'add', file);
    git(c, 'commit', '-qm', 'colleague');
    git(c, 'push', '-q', 'origin', 'main');
    return git(c, 'rev-parse', 'HEAD');
  }

  /** What a fresh clone of remote `i` has in `file` on main. */
  function cloned(w: World, i: number, file: string): string | undefined {
    const dir = kit.tempDir('cc-fresh-');
    git(dir, '-c', 'protocol.file.allow=always', 'clone', '-q', w.url(i), 'f');
    const p = path.join(dir, 'f', file);
    return fs.existsSync(p) ? fs.readFileSync(p, 'utf8') : undefined;
  }

  it('reverts main on top, deletes the branch and the tag the campaign pushed, verifies with ls-remote, and undo puts every ref back', async function () {
    const w = await world(3);
    campaign(w);
    const before = w.bares.map(refsOf);
    const dry = w.cli('--json', 'rollback', '--campaign', 'bump', '--remote', '--dry-run');
    assert.strictEqual(dry.status, 0, dry.stderr);
    const plan = JSON.parse(dry.stdout) as RollbackPlan;
    assert.strictEqual(plan.totals.pushes, 9);
    assert.deepStrictEqual(
      plan.repos[0].pushes![0].updates.map((u) => [u.ref, u.action]),
      [
        ['refs/heads/campaign/feat', 'delete-branch'],
        ['refs/heads/main', 'revert'],
        ['refs/tags/v9', 'delete-tag'],
      ],
    );
    assert.deepStrictEqual(w.bares.map(refsOf), before, 'a dry run pushes nothing');

    const run = w.cli('rollback', '--campaign', 'bump', '--remote');
    assert.strictEqual(run.status, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /repo-00: pushed: push a revert commit on origin\/main undoing 1 campaign commit/);
    assert.doesNotMatch(run.stderr, /does not change them/, 'nothing is left on the remotes to warn about');
    w.repos.forEach((r, i) => {
      const refs = refsOf(w.bares[i]);
      assert.deepStrictEqual(Object.keys(refs).sort(), ['refs/heads/main'], 'the branch and the tag are gone');
      const main = refs['refs/heads/main'];
      assert.strictEqual(git(w.bares[i], 'rev-parse', `${main}^`), before[i]['refs/heads/main'], 'history kept: the revert is on top');
      assert.strictEqual(git(w.bares[i], 'rev-parse', `${main}^{tree}`), git(w.bares[i], 'rev-parse', `${w.baseline}^{tree}`), 'the target tree');
      assert.match(
        git(w.bares[i], 'log', '-1', '--format=%B', main),
        /^Revert campaign camp_[0-9a-f]+ on main\n\nUndoes 1 commit of campaign .*\nMade by codecontext rollback rb_/,
      );
      assert.strictEqual(
        git(w.bares[i], 'log', '-1', '--format=%an <%ae>', main),
        'Test Author <author@example.com>',
        'the identity git is configured with, as for any commit of theirs',
      );
      assert.strictEqual(cloned(w, i, 'a.txt'), 'v1\n', 'a fresh clone has the target tree');
      assert.strictEqual(git(r.dir, 'ls-remote', 'origin', 'refs/heads/main').split('\t')[0], refs['refs/heads/main'], 'ls-remote agrees');
      assert.strictEqual(r.head(), w.baseline, 'and the local repo went back');
    });
    const evidence = /^evidence: (.+)$/m.exec(run.stdout)![1];
    const pack = JSON.parse(fs.readFileSync(evidence, 'utf8')) as EvidencePack;
    const first = pack.pushes!.find((p) => p.repo === w.repos[0].dir)!;
    assert.strictEqual(first.url, w.url(0));
    assert.strictEqual(first.phase, 'pushed');
    const main = first.updates.find((u) => u.ref === 'refs/heads/main')!;
    assert.strictEqual(main.old, before[0]['refs/heads/main']);
    assert.strictEqual(main.new, refsOf(w.bares[0])['refs/heads/main'], 'the revert commit id');
    assert.ok(first.output && /refs\/heads\/main/.test(first.output), 'the push output');
    const page = fs.readFileSync(evidence.replace(/\.json$/, '.html'), 'utf8');
    assert.match(page, /Pushed to the remotes/);

    const rb = /^(rb_[0-9a-f]+): committed/m.exec(run.stdout)![1];
    const undo = w.cli('rollback', 'undo', rb);
    assert.strictEqual(undo.status, 0, undo.stdout + undo.stderr);
    assert.match(undo.stdout, /repo-00: origin put back \(campaign\/feat, main, v9\)/);
    assert.deepStrictEqual(w.bares.map(refsOf), before, 'every remote ref is where the campaign left it');
    assert.notStrictEqual(w.repos[0].head(), w.baseline);
  });

  for (const mode of ['revert', 'rewrite'] as const) {
    it(`a 20-repo dependency chain, pushed branches and fast-forwarded mains: rolled back completely (${mode} mode)`, async function () {
      const w = await world(20, 'file', { chain: true });
      campaign(w);
      const dry = w.cli('--json', 'rollback', '--campaign', 'bump', '--remote', '--dry-run', ...(mode === 'rewrite' ? ['--rewrite'] : []));
      const plan = JSON.parse(dry.stdout) as RollbackPlan;
      assert.strictEqual(plan.waves.length, 20, 'a chain: one repo per wave');
      assert.strictEqual(plan.totals.pushes, 60);
      const run = w.cli('rollback', '--campaign', 'bump', '--remote', ...(mode === 'rewrite' ? ['--rewrite'] : []));
      assert.strictEqual(run.status, 0, run.stdout + run.stderr);
      w.repos.forEach((r, i) => {
        const refs = refsOf(w.bares[i]);
        assert.deepStrictEqual(Object.keys(refs), ['refs/heads/main'], r.dir);
        const listed = git(r.dir, 'ls-remote', '--refs', 'origin').trim().split('\n');
        assert.deepStrictEqual(listed, [`${refs['refs/heads/main']}\trefs/heads/main`], 'ls-remote shows the target');
        if (mode === 'rewrite') assert.strictEqual(refs['refs/heads/main'], r.head(), 'reset to where the campaign found it');
        assert.strictEqual(git(w.bares[i], 'rev-parse', 'main^{tree}'), git(r.dir, 'rev-parse', 'HEAD^{tree}'), 'the target tree');
      });
      for (const i of [0, 19]) assert.strictEqual(cloned(w, i, 'a.txt'), 'v1\n', 'a fresh clone has the target tree');
      const pack = JSON.parse(fs.readFileSync(/^evidence: (.+)$/m.exec(run.stdout)![1], 'utf8')) as EvidencePack;
      assert.strictEqual(pack.pushes!.length, 20);
      assert.ok(pack.pushes!.every((p) => p.phase === 'pushed'));
      // pushed in the chain's order, as the journal says: the repo every other depends on last
      const journal = fs.readFileSync(path.join(w.store, 'journal', `${pack.id}.jsonl`), 'utf8');
      const pushing = journal
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l.slice(l.indexOf(' ') + 1)) as { t: string; key?: string })
        .filter((e) => e.t === 'pushing')
        .map((e) => Number(/repo-(\d+)$/.exec(e.key!)![1]));
      assert.deepStrictEqual(pushing, [...Array(20).keys()].reverse());
    });
  }

  it("keeps a colleague's commit pushed after the campaign, and stops at prepare on a conflict with it (nothing pushed)", async function () {
    const w = await world(2);
    campaign(w);
    const theirs = colleague(w, 0, 'c.txt', 'colleague\n');
    const run = w.cli('rollback', '--campaign', 'bump', '--remote');
    assert.strictEqual(run.status, 0, run.stdout + run.stderr);
    const main = refsOf(w.bares[0])['refs/heads/main'];
    assert.strictEqual(git(w.bares[0], 'rev-parse', `${main}^`), theirs, 'on top of their commit');
    assert.strictEqual(git(w.bares[0], 'show', `${main}:c.txt`), 'colleague', 'their change is kept');
    assert.strictEqual(git(w.bares[0], 'show', `${main}:a.txt`), 'v1', 'the campaign is reverted');

    const w2 = await world(2);
    campaign(w2);
    colleague(w2, 1, 'a.txt', 'v3 by a colleague\n');
    const before = w2.bares.map(refsOf);
    const dry = w2.cli('rollback', '--campaign', 'bump', '--remote', '--dry-run');
    assert.strictEqual(dry.status, 1, dry.stdout);
    assert.match(dry.stdout, /CONFLICT a\.txt: origin\/main: reverting the campaign conflicts with work pushed since, in a\.txt/);
    const refused = w2.cli('rollback', '--campaign', 'bump', '--remote');
    assert.strictEqual(refused.status, 1);
    assert.match(refused.stderr, /conflict.*nothing was changed/);
    assert.deepStrictEqual(w2.bares.map(refsOf), before);
  });

  it('--rewrite resets main to where the campaign found it; over a colleague’s commit only with --force', async function () {
    const w = await world(2);
    campaign(w);
    const run = w.cli('rollback', '--campaign', 'bump', '--remote', '--rewrite');
    assert.strictEqual(run.status, 0, run.stdout + run.stderr);
    for (const b of w.bares) assert.deepStrictEqual(refsOf(b), { 'refs/heads/main': w.baseline });

    const w2 = await world(2);
    campaign(w2);
    colleague(w2, 0, 'c.txt', 'colleague\n');
    const before = w2.bares.map(refsOf);
    const refused = w2.cli('rollback', '--campaign', 'bump', '--remote', '--rewrite');
    assert.strictEqual(refused.status, 1);
    assert.match(refused.stderr, /origin\/main has 1 commit others pushed after the campaign; --rewrite would drop them/);
    assert.deepStrictEqual(w2.bares.map(refsOf), before);
    const forced = w2.cli('rollback', '--campaign', 'bump', '--remote', '--rewrite', '--force');
    assert.strictEqual(forced.status, 0, forced.stderr);
    assert.strictEqual(refsOf(w2.bares[0])['refs/heads/main'], w2.baseline);
  });

  for (const transport of ['file', 'daemon', 'http'] as const) {
    describe(`over ${transport === 'file' ? 'file://' : transport === 'daemon' ? 'git daemon' : 'smart HTTP'}: every remote as it was, another party's push intact`, function () {
      it('a push by someone else between prepare and commit: the lease refuses it, every remote and repo is put back, their push stays', async function () {
        const w = await world(3, transport);
        campaign(w);
        const before = w.bares.map(refsOf);
        const heads = w.repos.map((r) => r.head());
        const pause = path.join(kit.tempDir('cc-pause-'), 'go');
        const running = runCliAsync(['--parallel', '1', 'rollback', '--campaign', 'bump', '--remote'], {
          store: w.store,
          cwd: w.root,
          env: { ...w.env, CODECONTEXT_FAULTS: `pause-after-prepare=${pause}` },
        });
        await waitFor(`${pause}.waiting`);
        const theirs = colleague(w, 2, 'c.txt', 'pushed meanwhile\n');
        fs.writeFileSync(pause, '');
        const r = await running;
        assert.strictEqual(r.status, 1, r.stdout + r.stderr);
        assert.match(r.stderr, /repo-02: origin refused the push: refs\/heads\/main was moved by someone else since the plan; its lease refused the push/);
        assert.match(r.stderr, /every changed repo was returned to the safety snapshot snap_[0-9a-f]+, and every remote it pushed to put back \(rollback rb_/);
        assert.deepStrictEqual(refsOf(w.bares[0]), before[0], 'the remotes pushed first are put back');
        assert.deepStrictEqual(refsOf(w.bares[1]), before[1]);
        assert.deepStrictEqual(refsOf(w.bares[2]), { ...before[2], 'refs/heads/main': theirs }, 'their push stays');
        assert.deepStrictEqual(
          w.repos.map((x) => x.head()),
          heads,
          'the local repos were never changed',
        );
      });

      it("a remote's hook refuses the third push (pre-receive): the first two remotes are put back; without the hook it rolls back", async function () {
        const w = await world(3, transport);
        campaign(w);
        const before = w.bares.map(refsOf);
        const hook = path.join(w.bares[2], 'hooks', 'pre-receive');
        fs.writeFileSync(hook, '#!/bin/sh\necho "main is protected here" >&2\nexit 1\n', { mode: 0o755 });
        const refused = w.cli('--parallel', '1', 'rollback', '--campaign', 'bump', '--remote');
        assert.strictEqual(refused.status, 1, refused.stdout);
        assert.match(refused.stderr, /repo-02: origin refused the push: the remote's hook refused the push: main is protected here/);
        assert.deepStrictEqual(w.bares.map(refsOf), before);
        assert.notStrictEqual(w.repos[0].head(), w.baseline, 'the local repos were not changed');

        fs.rmSync(hook);
        const run = w.cli('rollback', '--campaign', 'bump', '--remote');
        assert.strictEqual(run.status, 0, run.stdout + run.stderr);
        for (let i = 0; i < 3; i++) assert.strictEqual(cloned(w, i, 'a.txt'), 'v1\n');
      });

      it('SIGKILL between two remotes’ pushes, then a push by someone else, then recover: ours put back, theirs kept', async function () {
        const w = await world(3, transport);
        campaign(w);
        const before = w.bares.map(refsOf);
        const heads = w.repos.map((r) => r.head());
        const crash = runCli(['--parallel', '1', 'rollback', '--campaign', 'bump', '--remote'], {
          store: w.store,
          cwd: w.root,
          baseEnv: w.env,
          env: { CODECONTEXT_FAULTS: 'crash-after-push=1' },
        });
        assert.notStrictEqual(crash.status, 0, 'killed');
        assert.notDeepStrictEqual(refsOf(w.bares[0]), before[0], 'the first remote was pushed');
        assert.deepStrictEqual(refsOf(w.bares[1]), before[1], 'the second was not');
        // someone builds on what we pushed before anyone recovers
        const theirs = colleague(w, 0, 'c.txt', 'on top of the revert\n');
        const rec = w.cli('recover');
        assert.strictEqual(rec.status, 0, rec.stdout + rec.stderr);
        assert.match(
          rec.stdout,
          /returned to safety snapshot snap_[0-9a-f]+; 1 remote put back \(origin\); kept what changed since: remote:origin@.*repo-00: refs\/heads\/main/,
        );
        assert.deepStrictEqual(refsOf(w.bares[0]), { ...before[0], 'refs/heads/main': theirs }, 'our deletions undone, their main kept');
        assert.deepStrictEqual(refsOf(w.bares[1]), before[1]);
        assert.deepStrictEqual(refsOf(w.bares[2]), before[2]);
        assert.deepStrictEqual(
          w.repos.map((r) => r.head()),
          heads,
        );
        assert.match(w.cli('recover').stdout, /^Nothing to recover/, 'idempotent');
      });

      it('the server dies between two pushes: the rollback is left for recover, which puts every remote back once it is up', async function () {
        const w = await world(2, transport);
        campaign(w);
        const before = w.bares.map(refsOf);
        const heads = w.repos.map((r) => r.head());
        const pause = path.join(kit.tempDir('cc-pause-'), 'go');
        const running = runCliAsync(['--parallel', '1', 'rollback', '--campaign', 'bump', '--remote'], {
          store: w.store,
          cwd: w.root,
          env: { ...w.env, CODECONTEXT_FAULTS: `pause-after-push=${pause}`, CODECONTEXT_REMOTE_TIMEOUT_MS: '5000' },
        });
        await waitFor(`${pause}.waiting`);
        assert.notDeepStrictEqual(refsOf(w.bares[0]), before[0], 'the first remote was pushed');
        // a file:// remote "dies" by going away; a server is killed
        const away = `${w.remotesDir}.away`;
        if (w.server) w.server.kill();
        else fs.renameSync(w.remotesDir, away);
        fs.writeFileSync(pause, '');
        const r = await running;
        assert.strictEqual(r.status, 1, r.stdout + r.stderr);
        assert.match(r.stderr, /codecontext recover/);
        assert.deepStrictEqual(
          w.repos.map((x) => x.head()),
          heads,
          'the local repos were never changed',
        );
        if (w.server) await w.server.restart();
        else fs.renameSync(away, w.remotesDir);
        const rec = w.cli('recover');
        assert.strictEqual(rec.status, 0, rec.stdout + rec.stderr);
        assert.deepStrictEqual(w.bares.map(refsOf), before, 'every remote as before the rollback');

        const run = w.cli('rollback', '--campaign', 'bump', '--remote');
        assert.strictEqual(run.status, 0, run.stdout + run.stderr);
        for (let i = 0; i < 2; i++) assert.strictEqual(cloned(w, i, 'a.txt'), 'v1\n');
        assert.strictEqual(gitTry(w.repos[0].dir, 'status', '-sb').stdout.split('\n')[0], '## main...origin/main [behind 2]');
      });
    });
  }

  it('a remote that asks for a password fails fast with one clear line, and no credential is ever printed or stored', async function () {
    const w = await world(2);
    campaign(w);
    const locked = await startSmartHttp(kit.tempDir('cc-locked-'), w.env, { refuseAll: true });
    servers.push(locked);
    const url = locked.url('repo-00.git').replace('http://', 'http://alice:s3cret-token@');
    w.repos[0].git('remote', 'set-url', 'origin', url);
    const started = Date.now();
    const dry = w.cli('--json', 'rollback', '--campaign', 'bump', '--remote', '--dry-run');
    assert.ok(Date.now() - started < 60_000, 'no hang');
    assert.strictEqual(dry.status, 1, dry.stderr);
    const plan = JSON.parse(dry.stdout) as RollbackPlan;
    const conflict = plan.repos[0].conflicts.map((c) => c.reason).join('\n');
    assert.match(conflict, /origin could not be fetched \((Authentication failed|could not read Username)[^)]*\)/);
    assert.doesNotMatch(dry.stdout + dry.stderr, /s3cret/);
    const run = w.cli('rollback', '--campaign', 'bump', '--remote');
    assert.strictEqual(run.status, 1);
    assert.match(run.stderr, /origin could not be fetched/);
    assert.doesNotMatch(run.stdout + run.stderr, /s3cret/);
    const stored = fs
      .readdirSync(w.store, { recursive: true, withFileTypes: true })
      .filter((d) => d.isFile())
      .map((d) => fs.readFileSync(path.join(d.parentPath, d.name), 'latin1'))
      .join('');
    assert.doesNotMatch(stored, /s3cret/, 'nothing in the store holds it');
  });
});
