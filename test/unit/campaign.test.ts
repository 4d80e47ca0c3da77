import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { checkpointCampaign, loadCampaign, startCampaign, stepBounds, stepChangeRecords } from '../../server/src/engine/campaign/campaign';
import { campaignDiff } from '../../server/src/engine/campaign/campaignDiff';
import { runInCampaign } from '../../server/src/engine/campaign/campaignRun';
import { ChangeRecord, changeRecords } from '../../server/src/engine/git/treeChanges';
import { discoverRepos } from '../../server/src/engine/repo/discovery';
import { loadSnapshot } from '../../server/src/engine/snapshot/snapshot';
import { Store } from '../../server/src/engine/store/store';
import { toolVersion } from '../../server/src/engine/util/version';
import { RepoKit, git, listFiles } from '../helpers/repoKit';
import { refused } from '../helpers/refused';

const logLines = Array.from({ length: 10 }, (_, i) => `log line ${i}\n`).join('');
const baseFiles = {
  'src/log.ts': logLines,
  'old.txt': 'a file that moves\n'.repeat(4),
  'gone.txt': 'one\ntwo\nthree\n',
  'run.sh': '#!/bin/sh\necho run\n',
  'logo.bin': '\0PNG\x01\x02',
};

/**
 * The codemod `campaign run` starts in each repo (as arguments, no shell of ours): every repo edits
 * one line of src/log.ts; a few repos make one more kind of change each; repo-07 also fails.
 */
const codemod = [
  'sh',
  '-c',
  `
name=$(basename "$CODECONTEXT_REPO")
sed -i 's/log line 3/LOG LINE 3/' src/log.ts
case $name in
  repo-00) printf 'x\\ny\\nz\\n' > added.txt ;;
  repo-01) rm gone.txt ;;
  repo-02) mv old.txt new.txt ;;
  repo-03) chmod +x run.sh ;;
  repo-04) printf '\\000PNG\\001\\003' > logo.bin ;;
  repo-07) echo "boom in $name" >&2; exit 3 ;;
esac
`,
];

describe('campaign (engine)', function () {
  const kit = RepoKit.forSuite();
  let store: Store;
  beforeEach(() => (store = new Store(kit.tempDir('cc-store-'))));

  it('campaign run across 20 repos records each change with its kind, line counts and binary flag; a failing repo is reported', async function () {
    const { root, repos } = kit.workspace(20, baseFiles);
    const campaign = await startCampaign({ store }, 'rename-logger', [root]);
    assert.deepStrictEqual(
      campaign.repos,
      repos.map((r) => r.dir),
    );
    assert.match(campaign.id, /^camp_[0-9a-f]{12}$/);

    const { step, changes, failed } = await runInCampaign({ store }, campaign.id, codemod);

    assert.strictEqual(failed.length, 1);
    assert.strictEqual(failed[0].repo, repos[7].dir);
    assert.strictEqual(failed[0].exitCode, 3);
    assert.match(failed[0].outputTail, /boom in repo-07/);
    assert.strictEqual(step.results?.length, 20);
    assert.ok(step.results!.filter((r) => r.repo !== repos[7].dir).every((r) => r.exitCode === 0));

    const of = (i: number, p: string) => changes.find((c) => c.repo === repos[i].dir && c.path === p);
    for (let i = 0; i < 20; i++) {
      const log = of(i, 'src/log.ts')!;
      assert.ok(log, `repo-${i}: src/log.ts not recorded`);
      assert.deepStrictEqual([log.kind, log.added, log.removed, log.binary], ['modified', 1, 1, false]);
      assert.strictEqual(log.oldBlob, repos[i].git('rev-parse', 'HEAD:src/log.ts'));
      assert.strictEqual(log.newBlob, repos[i].git('hash-object', 'src/log.ts'));
      assert.deepStrictEqual([log.oldMode, log.newMode], ['100644', '100644']);
    }
    assert.deepStrictEqual(pick(of(0, 'added.txt')), { kind: 'added', added: 3, removed: 0, binary: false, oldBlob: null, oldMode: null, newMode: '100644' });
    assert.deepStrictEqual(pick(of(1, 'gone.txt')), { kind: 'deleted', added: 0, removed: 3, binary: false, newBlob: null, oldMode: '100644', newMode: null });
    const moved = of(2, 'new.txt')!;
    assert.deepStrictEqual([moved.kind, moved.oldPath, moved.added, moved.removed, moved.oldBlob === moved.newBlob], ['renamed', 'old.txt', 0, 0, true]);
    assert.deepStrictEqual(pick(of(3, 'run.sh')), { kind: 'mode', added: 0, removed: 0, binary: false, oldMode: '100644', newMode: '100755' });
    assert.deepStrictEqual(pick(of(4, 'logo.bin')), { kind: 'modified', added: 0, removed: 0, binary: true });
    assert.strictEqual(changes.length, 20 + 5);

    assert.deepStrictEqual(step.counts, { added: 1, modified: 21, deleted: 1, renamed: 1, mode: 1, linesAdded: 20 + 3, linesRemoved: 20 + 3 });
    assert.strictEqual(step.reposChanged, 20);
    assert.strictEqual(step.n, 1);
    assert.strictEqual(step.parent, campaign.baseline);
    assert.deepStrictEqual(step.command, codemod);
    assert.deepStrictEqual(step.refChanges, []);
    assert.ok(changes.every((c) => c.step === 1 && c.toolVersion === toolVersion && c.at === step.at));

    // What is stored is what was returned, and the campaign file knows the step.
    assert.deepStrictEqual(await stepChangeRecords(store, await loadCampaign(store, campaign.id), 1), changes);
    const reloaded = await loadCampaign(store, 'rename-logger');
    assert.strictEqual(reloaded.id, campaign.id);
    assert.strictEqual(reloaded.steps.length, 1);
    await refused(stepChangeRecords(store, reloaded, 2), 'UnknownId');
    await refused(stepChangeRecords(store, reloaded, 0), 'UnknownId');
  });

  it('records how HEAD moved in a step: a commit, a branch switch', async function () {
    const { root, repos } = kit.workspace(3);
    const campaign = await startCampaign({ store }, 'commits', [root]);
    const before = repos.map((r) => r.head());
    repos[0].write('README.md', '# committed\n').commitAll('codemod commit');
    repos[1].git('checkout', '-q', '-b', 'codemod');
    const { step, changes } = await checkpointCampaign({ store }, campaign.id, { message: 'after commits' });
    assert.deepStrictEqual(step.refChanges, [
      { repo: repos[0].dir, headBefore: before[0], headAfter: repos[0].head(), refBefore: 'refs/heads/main', refAfter: 'refs/heads/main' },
      { repo: repos[1].dir, headBefore: before[1], headAfter: before[1], refBefore: 'refs/heads/main', refAfter: 'refs/heads/codemod' },
    ]);
    assert.deepStrictEqual(
      changes.map((c) => [path.basename(c.repo), c.path, c.kind]),
      [['repo-00', 'README.md', 'modified']],
    );
    assert.strictEqual(step.message, 'after commits');
    assert.strictEqual(step.reposChanged, 1);

    // A second step starts from the first one's snapshot.
    repos[2].write('more.txt', 'more\n');
    const second = await checkpointCampaign({ store }, campaign.id);
    assert.strictEqual(second.step.n, 2);
    assert.strictEqual(second.step.parent, step.snapshot);
    assert.deepStrictEqual(second.step.refChanges, []);
    assert.deepStrictEqual(
      second.changes.map((c) => [path.basename(c.repo), c.path, c.kind]),
      [['repo-02', 'more.txt', 'added']],
    );
    assert.deepStrictEqual(stepBounds(second.campaign), { from: campaign.baseline, to: second.step.snapshot });
    assert.deepStrictEqual(stepBounds(second.campaign, 1), { from: campaign.baseline, to: step.snapshot });
  });

  it('campaign diff is deterministic and, applied in reverse from the root, gives back the baseline files', async function () {
    const { root, repos } = kit.workspace(3, {
      'src/log.ts': logLines,
      'old.txt': baseFiles['old.txt'],
      'gone.txt': baseFiles['gone.txt'],
      'run.sh': baseFiles['run.sh'],
    });
    const baseline = repos.map((r) => listFiles(r.dir));
    const campaign = await startCampaign({ store }, 'diffs', [root]);
    const { campaign: after } = await runInCampaign({ store }, campaign.id, codemod);
    repos[2].write('src/log.ts', repos[2].read('src/log.ts').toString() + 'step two\n');
    const { campaign: latest } = await checkpointCampaign({ store }, campaign.id);

    const whole = await campaignDiff(store, latest);
    assert.strictEqual(await campaignDiff(store, latest), whole);
    const one = await campaignDiff(store, after, 1);
    assert.match(one, /^diff --git a\/repo-00\/src\/log\.ts b\/repo-00\/src\/log\.ts$/m);
    assert.match(one, /^-log line 3$/m);
    assert.match(one, /^\+LOG LINE 3$/m);
    assert.match(await campaignDiff(store, latest, 2), /^\+step two$/m);
    assert.doesNotMatch(await campaignDiff(store, latest, 2), /LOG LINE/);

    const patch = path.join(kit.tempDir(), 'campaign.patch');
    fs.writeFileSync(patch, whole);
    // The workspace root is no repo, so `git apply` works on plain files, like patch(1).
    git(root, 'apply', '-R', patch);
    repos.forEach((r, i) => assert.deepStrictEqual(listFiles(r.dir), baseline[i], `${r.dir} not back to baseline`));
  });

  it('refuses a campaign with no name or no repos, and unknown campaigns', async function () {
    const empty = kit.tempDir();
    await refused(startCampaign({ store }, 'nothing', [empty]), 'NoRepositories');
    await refused(startCampaign({ store }, '  ', [empty]), 'Usage');
    await refused(loadCampaign(store, 'camp_0123456789ab'), 'UnknownId');
    await refused(loadCampaign(store, 'no-such-name'), 'UnknownId');
    await refused(runInCampaign({ store }, 'no-such-name', ['true']), 'UnknownId');
  });

  it('a mid-merge repo stops a checkpoint with no step, ref or snapshot written', async function () {
    const { root, repos } = kit.workspace(2);
    const campaign = await startCampaign({ store }, 'merge', [root]);
    const refsBefore = repos.map((r) => r.codecontextRefs());
    repos[0].write('x.txt', 'x\n');
    repos[1].conflictedMerge();
    const e = await refused(checkpointCampaign({ store }, campaign.id), 'MergeInProgress');
    assert.strictEqual(e.repo, repos[1].dir);
    assert.deepStrictEqual(
      repos.map((r) => r.codecontextRefs()),
      refsBefore,
    );
    assert.strictEqual((await loadCampaign(store, campaign.id)).steps.length, 0);
    assert.deepStrictEqual(await store.list('snapshots', '.json'), [`${campaign.baseline}.json`]);
    assert.ok((await loadSnapshot(store, campaign.baseline)).repos.length === 2);
  });
});

describe('changeRecords', function () {
  const kit = RepoKit.forSuite();

  it('gives one sorted record per changed path, with kinds, modes, blobs and line counts', async function () {
    const repo = kit.repo(path.join(kit.tempDir(), 'd'), {
      'edit.txt': 'a\nb\nc\n',
      'move-and-edit.txt': Array.from({ length: 20 }, (_, i) => `line ${i}\n`).join(''),
      'to-link.txt': 'becomes a symlink\n',
      'gone.bin': '\0\0\0',
    });
    repo.symlink('link', 'edit.txt');
    const from = repo.git('rev-parse', `${repo.commitAll('links')}^{tree}`);
    repo.write('edit.txt', 'a\nB\nc\nd\n');
    repo.git('mv', 'move-and-edit.txt', 'moved.txt');
    repo.write('moved.txt', Array.from({ length: 20 }, (_, i) => `line ${i}\n`).join('') + 'one more\n');
    repo.symlink('link', 'moved.txt');
    repo.remove('to-link.txt').symlink('to-link.txt', 'edit.txt');
    repo.remove('gone.bin');
    repo.write('new\nline.txt', 'odd name\n');
    repo.git('add', '-A');
    const to = repo.git('write-tree');

    const records = await changeRecords(repo.dir, from, to);
    const brief = (r: ChangeRecord) => [r.path, r.kind, r.oldPath ?? null, r.oldMode, r.newMode, r.added, r.removed, r.binary];
    assert.deepStrictEqual(records.map(brief), [
      ['edit.txt', 'modified', null, '100644', '100644', 2, 1, false],
      ['gone.bin', 'deleted', null, '100644', null, 0, 0, true],
      ['link', 'modified', null, '120000', '120000', 1, 1, false],
      ['moved.txt', 'renamed', 'move-and-edit.txt', '100644', '100644', 1, 0, false],
      ['new\nline.txt', 'added', null, null, '100644', 1, 0, false],
      ['to-link.txt', 'modified', null, '100644', '120000', 1, 1, false],
    ]);
    const link = records.find((r) => r.path === 'link')!;
    assert.strictEqual(repo.git('cat-file', 'blob', link.newBlob!), 'moved.txt');
    assert.deepStrictEqual(await changeRecords(repo.dir, to, to), []);
    await refused(changeRecords(repo.dir, from, '0123456789012345678901234567890123456789'), 'GitFailed');
  });
});

describe('repo discovery', function () {
  const kit = RepoKit.forSuite();

  it('finds repos, labels nested repos and submodules, skips node_modules and ignored folders', async function () {
    const root = kit.tempDir('cc-ws-');
    const app = kit.repo(path.join(root, 'app'), { '.gitignore': 'build/\n', 'README.md': 'app\n' });
    kit.repo(path.join(root, 'app', 'tools', 'nested'));
    const source = kit.repo(path.join(kit.tempDir('cc-src-'), 'lib'));
    kit.submodule(app, source, 'vendor/lib');
    kit.repo(path.join(root, 'app', 'build', 'generated')); // inside an ignored folder
    kit.repo(path.join(root, 'node_modules', 'dep'));
    kit.repo(path.join(root, 'app', 'node_modules', 'dep2'));
    kit.repo(path.join(root, 'group', 'deeper', 'svc'));
    fs.mkdirSync(path.join(root, 'plain', 'folder'), { recursive: true });

    const found = await discoverRepos([root]);
    assert.deepStrictEqual(found, [
      { path: path.join(root, 'app'), kind: 'repo' },
      { path: path.join(root, 'app', 'tools', 'nested'), kind: 'nested', parent: path.join(root, 'app') },
      { path: path.join(root, 'app', 'vendor', 'lib'), kind: 'submodule', parent: path.join(root, 'app') },
      { path: path.join(root, 'group', 'deeper', 'svc'), kind: 'repo' },
    ]);

    // A root inside a repo means that repo (and what is below it).
    const inside = await discoverRepos([path.join(root, 'app', 'tools')]);
    assert.deepStrictEqual(
      inside.map((r) => r.path),
      [path.join(root, 'app'), path.join(root, 'app', 'tools', 'nested'), path.join(root, 'app', 'vendor', 'lib')],
    );
    await refused(discoverRepos([path.join(root, 'missing')]), 'RepoMissing');
  });
});

/** The fields of a record that a test states, leaving out blob ids and paths unless asked for. */
function pick(r: ChangeRecord | undefined): Partial<ChangeRecord> {
  assert.ok(r, 'record not found');
  const out: Partial<ChangeRecord> = { kind: r.kind, added: r.added, removed: r.removed, binary: r.binary };
  if (r.kind === 'added') Object.assign(out, { oldBlob: r.oldBlob, oldMode: r.oldMode, newMode: r.newMode });
  if (r.kind === 'deleted') Object.assign(out, { newBlob: r.newBlob, oldMode: r.oldMode, newMode: r.newMode });
  if (r.kind === 'mode') Object.assign(out, { oldMode: r.oldMode, newMode: r.newMode });
  return out;
}
