// Issue 15 as the user met it from the command palette and the side trees: which snapshot Enter picks
// and what each row says, the default button with drift, names and counts that agree, one undo
// confirmation, state that follows a rollback, a snapshot of unchanged repos that keeps its words,
// a second campaign on the same repos, an empty folder, grouped long lists. Every test leaves the
// fixture's repos at the campaign's end state, where it found them.
import * as assert from 'assert';
import { createHash } from 'crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import { Api, atCampaignEnd, Confirmation, description, fixture, label, Node, readyInView, revealFound, walk, waitForTree } from './fixture';
import { screenshot } from './screenshot';

const f = fixture();
const short = (id: string) => id.slice(0, id.indexOf('_') + 9);

interface Executed {
  record: { id: string; outcome: string; repos: unknown[]; safetySnapshot?: string };
  message: string;
}

function run<T>(command: string, ...args: unknown[]): Promise<T> {
  return vscode.commands.executeCommand(`codecontext.${command}`, ...args) as Promise<T>;
}

describe('palette and trees (issue 15)', function () {
  this.timeout(120_000);
  let api: Api;

  before(async () => {
    api = await readyInView();
    atCampaignEnd();
    // a safety snapshot of a state no snapshot holds yet (an untracked scratch file), as a user's first rollback makes one
    const scratch = path.join(f.repos.gamma, 'SCRATCH.md');
    writeFileSync(scratch, 'scratch\n');
    const rolled = await run<Executed>('rollbackToSnapshot', f.snapshot, { confirm: false });
    assert.strictEqual(rolled.record.outcome, 'committed');
    await run('undoLastRollback', undefined, { confirm: false });
    assert.ok(existsSync(scratch), 'the undo did not bring the scratch file back');
    rmSync(scratch);
    atCampaignEnd();
  });

  afterEach(() => {
    api.answerConfirmations(undefined);
  });

  it('7, 24: the quick pick groups snapshots (yours, campaign, safety apart), each row says what would change, Enter picks your own newest', async () => {
    const picked = run<Confirmation>('rollbackToSnapshot', undefined, { dryRun: true });
    // the rows fill in from the cheap compare request; Enter then takes the row that has the focus
    await screenshot('palette-snapshot-picker', { waitForText: '10 files in 3 repos would change', pressAfter: 'Enter' });
    const shown = await picked;
    assert.ok(shown, 'Enter in the quick pick chose nothing');
    assert.match(shown.message, /^Roll back 3 repos to "before the codemod" \(snap_[0-9a-f]{8}\)\?$/, `Enter picked: ${shown.message}`);
    atCampaignEnd();
  });

  it('7, 24: the quick pick lists the safety snapshots under their own separator, below the rest', async () => {
    const picked = run<Confirmation | undefined>('rollbackToSnapshot', undefined, { dryRun: true });
    await screenshot('palette-snapshot-picker-open', { waitForText: 'would change' });
    // Up from the first row wraps to the last: the safety snapshots' group
    await vscode.commands.executeCommand('workbench.action.quickOpenSelectPrevious');
    await screenshot('palette-snapshot-picker-safety', { waitForText: 'safety snapshots (made by rollbacks)', pressAfter: 'Escape' });
    assert.strictEqual(await picked, undefined);
  });

  it("24: the Snapshots tree groups the same way, and a snapshot's repos say what differs without a plan", async () => {
    const t = api.trees.snapshots;
    const roots = await t.getChildren();
    const names = roots.map((n) => label(t, n));
    assert.deepStrictEqual(
      names.filter((n) => ['Your snapshots', f.campaign.name, 'Safety snapshots'].includes(n)),
      ['Your snapshots', f.campaign.name, 'Safety snapshots'],
      `groups: ${names.join(', ')}`,
    );
    assert.strictEqual(names[0], 'Your snapshots', 'your own snapshots come first');
    assert.strictEqual(names.at(-1), 'Safety snapshots', 'safety snapshots come last');
    const campaign = roots.find((n) => label(t, n) === f.campaign.name)!;
    assert.match(description(t, campaign), /^campaign · active · 4 snapshots$/);
    const checkpoints = await t.getChildren(campaign);
    assert.deepStrictEqual(
      checkpoints.slice(0, 3).map((n) => label(t, n)),
      [`baseline of ${f.campaign.name}`, 'rename logger to log', 'new logo'],
    );
    assert.strictEqual(checkpoints[0].snapshot, f.campaign.baseline);
    const safety = await t.getChildren(roots.at(-1)!);
    // named by the rollback it was taken before
    assert.ok(
      safety.some((n) => /^before the rollback to before the codemod \(rb_[0-9a-f]{8}\)$/.test(label(t, n))),
      `safety: ${safety.map((n) => label(t, n)).join(', ')}`,
    );

    const baselineRepos = await t.getChildren(checkpoints[0]);
    const gamma = baselineRepos.find((n) => label(t, n) === 'gamma')!;
    const desc = await waitForTree(t, async () => (/files? differ/.test(description(t, gamma)) ? description(t, gamma) : undefined));
    assert.match(desc, /· 3 files differ$/);
    await api.views.snapshots.reveal(gamma, { select: false, focus: true });
    await api.views.snapshots.reveal(safety[0], { select: false });
    await api.views.snapshots.reveal(checkpoints[0], { expand: true, select: true, focus: true });
    await screenshot('palette-snapshots-tree-grouped', { waitForText: '3 files differ' });
    await api.views.snapshots.reveal(safety[0], { select: true, focus: true });
    await screenshot('palette-snapshots-tree-safety', { waitForText: 'before the rollback to before the codemod' });
  });

  it('24: snapshots of more than one day are grouped by day, in the tree and in the pick', async () => {
    // a sealed manifest as the store would hold one taken three days ago (alpha alone, so an id of its own)
    const canonical = (v: unknown): string =>
      v === null || typeof v !== 'object'
        ? JSON.stringify(v)
        : Array.isArray(v)
          ? `[${v.map((x) => canonical(x ?? null)).join(',')}]`
          : `{${Object.keys(v as object)
              .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
              .sort()
              .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
              .join(',')}}`;
    const sha = (text: string) => createHash('sha256').update(text).digest('hex');
    const original = JSON.parse(readFileSync(path.join(f.store, 'snapshots', `${f.snapshot}.json`), 'utf8')) as {
      repos: { path: string }[];
      toolVersion: string;
    };
    const repos = original.repos.filter((r) => r.path === f.repos.alpha);
    const id = `snap_${sha(canonical({ format: 1, repos })).slice(0, 16)}`;
    const body = {
      format: 1,
      id,
      repos,
      createdAt: new Date(Date.now() - 3 * 86_400_000).toISOString(),
      message: 'palette: three days ago',
      toolVersion: original.toolVersion,
    };
    const file = path.join(f.store, 'snapshots', `${id}.json`);
    writeFileSync(file, JSON.stringify({ ...body, seal: sha(canonical(body)) }));
    const t = api.trees.snapshots;
    try {
      const days = await waitForTree(t, async () => {
        const children = await t.getChildren(await walk(t, 'Your snapshots'));
        return children.length > 1 && children.every((n) => n.kind === 'snapshotDay') ? children : undefined;
      });
      assert.strictEqual(label(t, days[0]), 'today');
      const older = await t.getChildren(days[1]);
      assert.deepStrictEqual(
        older.map((n) => label(t, n)),
        ['palette: three days ago'],
      );
      // the view reads the day rows when it redraws (after the change event this test heard): wait until it shows them
      // (scrolled to the top first: an earlier picture left the view scrolled down, under sticky group headers)
      await api.views.snapshots.reveal(await walk(t, 'Your snapshots'), { select: true, focus: true });
      await screenshot('palette-snapshots-tree-days', { waitForText: 'today' });
      await api.views.snapshots.reveal(days[1], { expand: true, select: false });
      await api.views.snapshots.reveal(older[0], { select: true, focus: true });
      await screenshot('palette-snapshots-tree-by-day', { waitForText: 'palette: three days ago' });
      const picked = run<Confirmation | undefined>('rollbackToSnapshot', undefined, { dryRun: true });
      await screenshot('palette-snapshot-picker-by-day', { waitForText: 'your snapshots · today', pressAfter: 'Escape' });
      assert.strictEqual(await picked, undefined);
    } finally {
      rmSync(file);
    }
    await waitForTree(t, async () => ((await t.getChildren(await walk(t, 'Your snapshots'))).some((n) => n.kind === 'snapshotDay') ? undefined : true));
  });

  it('8: with drift, the confirmation puts Preview first (Enter), and Enter opens the preview instead of overwriting', async () => {
    const readme = path.join(f.repos.gamma, 'README.md');
    const before = readFileSync(readme, 'utf8');
    const clean = await run<Confirmation>('rollbackToSnapshot', { campaign: f.campaign.id }, { dryRun: true });
    assert.deepStrictEqual([clean.defaultButton, clean.buttons], ['Roll Back', ['Roll Back', 'Preview…']]);
    writeFileSync(readme, `${before}edited by someone else\n`);
    try {
      const drifted = await run<Confirmation>('rollbackToSnapshot', { campaign: f.campaign.id }, { dryRun: true });
      assert.deepStrictEqual([drifted.defaultButton, drifted.buttons], ['Preview…', ['Preview…', 'Roll Back Over My Edits']]);
      assert.match(
        drifted.detail,
        /⚠ Your edit, will be lost \(changed since the newest snapshot, checkpoint or rollback of these repos; [^)]*\):\n• gamma\/README\.md\n/,
      );
      // "Enter" on the real dialog: the first button
      const asked = api.answerConfirmations((c) => c.defaultButton);
      assert.strictEqual(await run('rollbackToSnapshot', { campaign: f.campaign.id }), undefined);
      assert.strictEqual(asked.length, 1);
      assert.strictEqual(readFileSync(readme, 'utf8'), `${before}edited by someone else\n`, 'Enter overwrote the drifted file');
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    } finally {
      writeFileSync(readme, before);
    }
    atCampaignEnd();
  });

  it('9, 10: the dialog names the snapshot as the tree does, the toast counts the repos it confirmed, and Undo always asks', async () => {
    const extra = path.join(f.repos.alpha, 'EXTRA.md');
    writeFileSync(extra, 'only alpha differs\n');
    const made = (await run<{ id: string }>('createSnapshot', { message: 'palette: only alpha differs' }))!;
    rmSync(extra);
    const t = api.trees.snapshots;
    const node = await waitForTree(t, async () => (await t.getChildren(await walk(t, 'Your snapshots'))).find((n) => n.snapshot === made.id));
    assert.strictEqual(label(t, node), 'palette: only alpha differs');

    const shown = await run<Confirmation>('rollbackToSnapshot', made.id, { dryRun: true });
    assert.strictEqual(shown.message, `Roll back 1 repo to "palette: only alpha differs" (${short(made.id)})?`);
    const rolled = await run<Executed>('rollbackToSnapshot', made.id, { confirm: false });
    assert.match(
      rolled.message,
      new RegExp(`^Rolled back 1 repo to "palette: only alpha differs" \\(${short(made.id)}\\) in [\\d.]+ m?s \\(2 other repos already matched\\)\\.$`),
    );
    assert.ok(existsSync(extra));
    await screenshot('palette-rollback-toast', { waitForText: '(2 other repos already matched)' });

    // Undo from the palette asks; Cancel changes nothing
    let asked: Confirmation[] = api.answerConfirmations(() => undefined);
    assert.strictEqual(await run('undoLastRollback'), undefined);
    assert.strictEqual(asked.length, 1);
    assert.match(asked[0].message, /^Undo "Rollback to palette: only alpha differs"\?$/);
    assert.match(asked[0].detail, /^1 repo goes back to how it was just before it \(safety snapshot snap_[0-9a-f]{8}\)/);
    assert.ok(existsSync(extra), 'a cancelled undo changed the repo');
    // and the same words from the Rollbacks tree's node
    asked = api.answerConfirmations((c) => c.buttons[0]);
    const undone = await run<Executed>('undoRollback', { kind: 'rollback', rollback: rolled.record.id });
    assert.strictEqual(undone.record.outcome, 'committed');
    assert.strictEqual(asked[0].message, `Undo "Rollback to palette: only alpha differs"?`);
    assert.ok(!existsSync(extra));
    atCampaignEnd();
  });

  it('11: after a rollback the status bar and the Campaigns tree follow at once (no stale active campaign, no stale drift mark)', async () => {
    const started = (await run<{ id: string; name: string }>('startCampaign', { name: 'palette-status', confirm: false }))!;
    assert.strictEqual((await api.statusBarCampaign())?.id, started.id);
    const status = path.join(f.repos.alpha, 'STATUS.md');
    writeFileSync(status, 'made by the campaign\n');
    await run('checkpointCampaign', started.id, { message: 'add STATUS.md' });
    const readme = path.join(f.repos.beta, 'README.md');
    const before = readFileSync(readme, 'utf8');
    writeFileSync(readme, `${before}edited by someone else\n`);
    const t = api.trees.campaigns;
    const campaignNode = async (): Promise<Node> => walk(t, 'palette-status');
    await t.getChildren(await campaignNode()); // expanding measures drift
    await waitForTree(t, async () => (/⚠ 1 drifted file/.test(description(t, await campaignNode())) ? true : undefined));
    await revealFound(api.views.campaigns, campaignNode, { select: true });
    await screenshot('palette-campaign-drift-before-rollback', { waitForText: '1 drifted file' });

    const rolled = await run<Executed>('rollbackToSnapshot', { campaign: started.id }, { confirm: false, force: true });
    assert.strictEqual(rolled.record.outcome, 'committed');
    // no waiting for the store watcher: the command refreshed what it changed
    const shown = await api.statusBarCampaign();
    assert.notStrictEqual(shown?.id, started.id, 'the status bar still shows the rolled-back campaign');
    assert.strictEqual(shown?.name, f.campaign.name);
    const after = description(t, await campaignNode());
    assert.match(after, /^rolled back · /);
    assert.doesNotMatch(after, /drifted/);
    await revealFound(api.views.campaigns, campaignNode, { select: true });
    await screenshot('palette-campaign-after-rollback', { waitForText: 'rolled back' });
    assert.ok(!existsSync(status));
    assert.strictEqual(readFileSync(readme, 'utf8'), before, 'the rollback (forced) put beta/README.md back');
    atCampaignEnd();
  });

  it('19: a snapshot of unchanged repos is the existing one, says so, and keeps the note: found by it in the tree and the pick', async () => {
    const made = (await run<{ id: string; reused?: boolean; notes?: { message: string }[] }>('createSnapshot', { message: 'before lunch' }))!;
    assert.strictEqual(made.reused, true, 'the repos had not changed, yet a new snapshot was reported');
    assert.ok(
      made.notes?.some((n) => n.message === 'before lunch'),
      'the note was dropped',
    );
    await screenshot('palette-snapshot-unchanged', { waitForText: 'no new snapshot was needed' });
    const t = api.trees.snapshots;
    // in your own snapshots, by your words: its own label when it was a checkpoint, "also …" beside the name it had
    const noted = async () =>
      (await t.getChildren(await walk(t, 'Your snapshots'))).find(
        (n) => n.snapshot === made.id && (label(t, n) === 'before lunch' || description(t, n).includes('also "before lunch"')),
      );
    await waitForTree(t, noted);
    // the note rewrote the snapshot's file: the tree refreshes when the server hears it, maybe mid-reveal
    await revealFound(api.views.snapshots, async () => (await noted())!, { select: true });
    await screenshot('palette-snapshot-note-in-tree', { waitForText: 'before lunch' });
  });

  it('20: starting a second campaign on the same repos warns first and says how the two interact', async () => {
    const shown = await run<Confirmation>('startCampaign', { name: 'second', dryRun: true });
    assert.match(shown.message, new RegExp(`^Campaign "${f.campaign.name}" is already active on all 3 repos\\. Start another one\\?$`));
    assert.match(shown.detail, /a checkpoint of either records the other's edits as its own step/);
    assert.match(shown.detail, /rolling one back to its baseline also undoes the other's work there/);
    assert.deepStrictEqual(shown.buttons, ['Start Anyway']);
    // Cancel: nothing started
    const asked = api.answerConfirmations(() => undefined);
    assert.strictEqual(await run('startCampaign', { name: 'second' }), undefined);
    assert.strictEqual(asked.length, 1);
    assert.ok(!(await api.trees.campaigns.getChildren()).some((n) => label(api.trees.campaigns, n) === 'second'));
  });

  it("23: an empty folder is said before a campaign name is asked, and the welcome views follow the server's discovery", async () => {
    const empty = mkdtempSync(path.join(os.tmpdir(), 'cc-empty-'));
    try {
      const said = await run<string>('startCampaign', { roots: [empty], dryRun: true });
      assert.strictEqual(said, `No git repositories under ${empty}: a campaign needs at least one. Open a folder that holds git repositories.`);
      // and without dryRun the warning comes at once, with no input box before it
      void run('startCampaign', { roots: [empty] });
      await screenshot('palette-no-repos-warning', { waitForText: 'No git repositories under' });
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
    // the fixture has repos: the key is false, and the welcome views that say "no repositories" wait for it being true
    assert.strictEqual(await api.noRepos(), false);
    const manifest = JSON.parse(
      readFileSync(path.join(vscode.extensions.getExtension('codecontext.codecontext-rollback')!.extensionPath, 'package.json'), 'utf8'),
    ) as {
      contributes: { viewsWelcome: { view: string; when: string; contents: string }[] };
    };
    const welcome = manifest.contributes.viewsWelcome;
    for (const view of ['codecontext.campaigns', 'codecontext.snapshots']) {
      const none = welcome.filter((w) => w.view === view && w.when === 'codecontext.server == running && codecontext.noRepos');
      assert.strictEqual(none.length, 1, `${view} has no "no repositories" welcome`);
      assert.match(none[0].contents, /^No git repositories under the workspace folders/);
      assert.ok(
        welcome.some((w) => w.view === view && w.when === 'codecontext.server == running && !codecontext.noRepos'),
        `${view}'s usual welcome does not step aside`,
      );
    }
  });
});
