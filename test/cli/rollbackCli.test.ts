import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { checkpointCampaign, startCampaign } from '../../server/src/engine/campaign/campaign';
import { Store } from '../../server/src/engine/store/store';
import { RepoFingerprint, RepoKit, TestRepo, changeEveryKind, fingerprints, listFiles, runCli, seedEveryKind } from '../helpers/repoKit';

/**
 * `codecontext rollback …`, `rollback undo|list|show`, `evidence show|verify` as a user runs them:
 * the built CLI in a child process. Exit 0 done, 1 refused or failed (one clear line on stderr).
 * One workspace for the whole file, since each step starts where the previous one left off.
 */
describe('codecontext rollback (CLI)', function () {
  const kit = new RepoKit();
  let store: string;
  let root: string;
  let repos: TestRepo[];
  let campaign: string;
  let baseline: string;
  let target: Record<string, RepoFingerprint>;
  let afterCampaign: Record<string, RepoFingerprint>;
  let rb: string;
  const cli = (...args: string[]) => runCli(args, { store, cwd: root });
  const refused = (r: { status: number; stdout: string; stderr: string }, pattern: RegExp): void => {
    assert.strictEqual(r.status, 1, `${r.stdout}${r.stderr}`);
    assert.match(r.stderr, /^codecontext: /);
    assert.match(r.stderr, pattern);
  };

  before(async function () {
    ({ root, repos } = kit.copies(seedEveryKind(kit.repo(path.join(kit.tempDir('cc-tpl-'), 'template'))), 3));
    store = kit.tempDir('cc-store-');
    const ctx = { store: new Store(store) };
    target = fingerprints(repos);
    ({ id: campaign, baseline } = await startCampaign(ctx, 'every kind', [root]));
    repos.forEach((r, i) => changeEveryKind(r, i % 2 === 0));
    await checkpointCampaign(ctx, campaign);
    afterCampaign = fingerprints(repos);
    for (const r of repos) target[r.dir].files['app.log'] = afterCampaign[r.dir].files['app.log'];
  });
  after(() => kit.cleanup());

  it('--dry-run prints waves, files with +/- counts, and changes nothing; --json and --diff give the inverse diffs', function () {
    const r = cli('rollback', '--campaign', campaign, '--dry-run');
    assert.strictEqual(r.status, 0, r.stderr);
    assert.match(r.stdout, /^Rollback plan [0-9a-f]{12} \(restore\) → every kind baseline/);
    assert.match(r.stdout, /3 repos \(3 to change\) in 1 wave; 27 files/);
    assert.match(r.stdout, /^wave 1$/m);
    assert.match(r.stdout, /^ +restore +a\.txt +\+1 -1$/m);
    assert.match(r.stdout, /^ +restore +img\.bin +binary$/m);
    const j = runCli(['--json', 'rollback', '--campaign', campaign, '--dry-run'], { store, cwd: root });
    const plan = JSON.parse(j.stdout) as { hash: string; repos: { files: { path: string; patch: string }[] }[] };
    assert.match(plan.repos[0].files.find((f) => f.path === 'a.txt')!.patch, /^-line 2 changed by the campaign\n\+line 2$/m);
    // --diff prints those same texts below the plan, each after its repo's "# repo:" line
    const d = cli('rollback', '--campaign', campaign, '--dry-run', '--diff');
    assert.strictEqual(d.status, 0, d.stderr);
    const printed = d.stdout.slice(d.stdout.indexOf('\n# repo: ') + 1);
    const expected = (JSON.parse(j.stdout) as { repos: { path: string; files: { patch: string }[] }[] }).repos
      .flatMap((r) => r.files.map((f) => `# repo: ${r.path}\n${f.patch}`))
      .join('');
    assert.strictEqual(printed, expected, 'byte for byte the plan’s inverse diffs');
    // …which is what the rollback's evidence pack then keeps as inverse.patch
    const ran = JSON.parse(cli('--json', 'rollback', '--campaign', campaign).stdout) as { id: string; evidence: string };
    assert.strictEqual(fs.readFileSync(path.join(path.dirname(ran.evidence), 'inverse.patch'), 'utf8'), printed);
    assert.strictEqual(cli('rollback', 'undo', ran.id).status, 0);
    assert.strictEqual(cli('rollback', '--campaign', campaign, '--diff').status, 2, '--diff without --dry-run is a usage error');
    assert.deepStrictEqual(fingerprints(repos), afterCampaign);
  });

  it('rolls back, printing the id, outcome, time and evidence path; list and show know it', function () {
    const r = cli('--verbose', 'rollback', '--campaign', campaign);
    assert.strictEqual(r.status, 0, r.stderr);
    // the run starts from its plan's captures: a capture per repo to plan, one to verify, none to prepare
    assert.strictEqual(r.stderr.split('\n').filter((l) => /^git .* add -A /.test(l)).length, 2 * repos.length, r.stderr);
    const m = /^(rb_[0-9a-f]+): committed — 3 of 3 repos back to every kind baseline, 27 files, in [0-9.]+ s$/m.exec(r.stdout);
    assert.ok(m, r.stdout);
    rb = m[1];
    assert.match(r.stdout, new RegExp(`^evidence: .*evidence-${rb}\\.json$`, 'm'));
    for (const repo of repos) assert.deepStrictEqual(repo.fingerprint(), target[repo.dir], repo.dir);
    assert.match(cli('rollback', 'list').stdout, new RegExp(`^${rb} .* committed .* 3 .*every kind baseline`, 'm'));
    const show = cli('rollback', 'show', rb);
    assert.strictEqual(show.status, 0, show.stderr);
    assert.match(show.stdout, /phases: prepare \d+ ms, commit \d+ ms, verify \d+ ms/);
  });

  it('evidence show and verify pass; one edited byte in the JSON or the patch file fails verify with exit 1', function () {
    const show = cli('evidence', 'show', rb);
    assert.strictEqual(show.status, 0, show.stderr);
    assert.match(show.stdout, new RegExp(`^Evidence ${rb} \\(rollback\\) — committed`));
    assert.match(show.stdout, /^digest: [0-9a-f]{64}$/m);
    const ok = cli('evidence', 'verify', rb, '--repos');
    assert.strictEqual(ok.status, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /^OK: .* is intact and every repo is in its recorded end state/);

    const evidence = path.join(store, 'rollbacks', rb, `evidence-${rb}.json`);
    for (const [file, problem] of [
      [evidence, /digest mismatch/],
      [path.join(store, 'rollbacks', rb, 'inverse.patch'), /patch file was modified/],
    ] as const) {
      const original = fs.readFileSync(file);
      const edited = Buffer.from(original);
      edited[original.indexOf('changed by the campaign') >= 0 ? original.indexOf('changed by the campaign') : original.indexOf('every kind')] ^= 0x20;
      fs.writeFileSync(file, edited);
      const bad = cli('evidence', 'verify', evidence);
      assert.strictEqual(bad.status, 1, bad.stdout);
      assert.match(bad.stdout, /^FAILED: /);
      assert.match(bad.stdout, problem);
      fs.writeFileSync(file, original);
    }
    assert.strictEqual(cli('evidence', 'verify', rb).status, 0);
  });

  it('undo brings back the state before the rollback exactly', function () {
    const r = cli('rollback', 'undo', rb);
    assert.strictEqual(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^rb_[0-9a-f]+: committed — undid ${rb} \\(3 repos\\)`));
    assert.deepStrictEqual(fingerprints(repos), afterCampaign);
    refused(cli('rollback', 'undo', rb), /already undone/);
  });

  it('refuses unknown ids with exit 1 and one clear line (--json: the error object)', function () {
    refused(cli('rollback', '--snapshot', 'snap_0123456789abcdef'), /no such snapshot: snap_0123456789abcdef/);
    refused(cli('rollback', '--campaign', 'camp_0123456789ab'), /no such campaign/);
    refused(cli('rollback', 'undo', 'rb_0123456789ab'), /no such rollback/);
    refused(cli('evidence', 'verify', 'rb_0123456789ab'), /no such rollback/);
    const j = runCli(['--json', 'rollback', 'show', 'rb_0123456789ab'], { store, cwd: root });
    assert.strictEqual(j.status, 1);
    assert.deepStrictEqual(JSON.parse(j.stdout), { error: { code: 'UnknownId', message: 'no such rollback: rb_0123456789ab' } });
  });

  it('refuses a tampered manifest, an ignored symlink to outside in the way, and a deleted repo: exit 1, nothing changed', function () {
    const manifest = path.join(store, 'snapshots', `${baseline}.json`);
    const original = fs.readFileSync(manifest, 'utf8');
    fs.writeFileSync(manifest, original.replace(JSON.stringify(repos[0].dir), JSON.stringify(path.join(repos[0].dir, '..', '..', 'elsewhere'))));
    refused(cli('rollback', '--campaign', campaign), /snapshot manifest was modified/);
    fs.writeFileSync(manifest, original);

    const outside = kit.tempDir('cc-outside-');
    fs.writeFileSync(path.join(outside, 'victim.txt'), 'outside the repo\n');
    fs.rmSync(repos[1].file('dir'), { recursive: true });
    fs.symlinkSync(outside, repos[1].file('dir'));
    fs.appendFileSync(path.join(repos[1].dir, '.git', 'info', 'exclude'), 'dir\n');
    const before = fingerprints(repos);
    refused(cli('rollback', '--campaign', campaign, '--force'), /repo-01: dir\/old\.txt: .*folder dir is a symlink/);
    const dry = cli('rollback', '--campaign', campaign, '--dry-run');
    assert.strictEqual(dry.status, 1, 'a dry run with conflicts exits 1');
    assert.match(dry.stdout, /CONFLICT dir\/old\.txt: folder dir is a symlink/);
    assert.deepStrictEqual(fingerprints(repos), before);
    assert.deepStrictEqual(Object.keys(listFiles(outside)), ['victim.txt']);

    fs.rmSync(repos[2].dir, { recursive: true });
    refused(cli('rollback', '--campaign', campaign), /repo-02: repository not found \(deleted or moved/);
    assert.deepStrictEqual(fingerprints(repos.slice(0, 2)), Object.fromEntries(Object.entries(before).slice(0, 2)));
  });
});
