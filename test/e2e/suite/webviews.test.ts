// The two webviews in the real VS Code: the rollback preview (lists the plan, runs it, undoes it) and
// the campaign history (steps Prev / Next through a 3-step campaign). Each panel is driven through the
// handle its command returns: `press` clicks the page's own buttons, `rendered` reads back what the
// page draws (a message round-trip), so nothing here clicks pixels or sleeps.
import * as assert from 'assert';
import { existsSync, readFileSync, rmSync } from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { fixture, ready, textOf } from './fixture';
import { PanelHandle, waitForTab } from './panels';
import { cli, git, write } from './repos';
import { screenshot } from './screenshot';

/** Every file of a repo's worktree (without .git), path → text: what a user would compare. */
function contents(repo: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of git(repo, 'ls-files', '-co', '--exclude-standard', '-z')
    .split('\0')
    .filter((f) => f && existsSync(path.join(repo, f))))
    out[f] = readFileSync(path.join(repo, f), 'utf8');
  return out;
}

/** Resolves with the diff editor tab once one is active in its group (waits for the real tab event); the history opens diffs beside itself. */
async function activeDiffTab(timeoutMs = 15_000): Promise<{ tab: vscode.Tab; input: vscode.TabInputTextDiff }> {
  return waitForTab(
    () => {
      const tab = vscode.window.tabGroups.all.map((g) => g.activeTab).find((t) => t?.input instanceof vscode.TabInputTextDiff);
      return tab && tab.input instanceof vscode.TabInputTextDiff ? { tab, input: tab.input } : undefined;
    },
    () => 'no diff editor opened',
    timeoutMs,
  );
}

describe('Webviews', function () {
  this.timeout(120_000);
  // Repos of our own inside the workspace folder, and a campaign of three steps on them made with the
  // CLI, so these tests do not depend on what the other suites did to the shared fixture.
  let root: string;
  let north: string;
  let south: string;
  let campaign: string;
  const states: Record<string, string>[][] = []; // per checkpoint (0 = baseline): [north, south]

  before(async () => {
    // the panels wait for the server themselves; activating first keeps the timings of the tests honest
    await vscode.extensions.getExtension('codecontext.codecontext-rollback')!.activate();
    root = path.join(fixture().workspace, 'webview-repos');
    rmSync(root, { recursive: true, force: true });
    north = path.join(root, 'north');
    south = path.join(root, 'south');
    for (const [repo, name] of [
      [north, 'north'],
      [south, 'south'],
    ]) {
      write(path.join(repo, 'README.md'), `# ${name}\n`);
      write(path.join(repo, 'src', 'config.ts'), `export const name = '${name}';\nexport const retries = 3;\nexport const timeoutMs = 1000;\n`);
      git(repo, 'init', '-q', '-b', 'main');
      git(repo, 'add', '.');
      git(repo, 'commit', '-q', '-m', 'initial');
    }
    const snap = () => states.push([contents(north), contents(south)]);
    // each repo named as a root of its own: a folder that is not a repo resolves to the repo around it
    // (here the project's own checkout, which holds .vscode-test), so `--root webview-repos` would not do
    const started = cli('campaign', 'start', 'webview-review', '--root', north, '--root', south);
    assert.deepStrictEqual((started.repos as string[]).sort(), [north, south], 'the campaign holds exactly our two repos');
    campaign = started.id as string;
    snap();
    for (const repo of [north, south])
      write(path.join(repo, 'src', 'config.ts'), readFileSync(path.join(repo, 'src', 'config.ts'), 'utf8').replace('retries = 3', 'retries = 5'));
    cli('campaign', 'checkpoint', campaign, '-m', 'more retries');
    snap();
    write(path.join(north, 'src', 'feature.ts'), 'export const enabled = true;\n');
    cli('campaign', 'checkpoint', campaign, '-m', 'feature flag');
    snap();
    rmSync(path.join(south, 'README.md'));
    write(path.join(south, 'src', 'config.ts'), readFileSync(path.join(south, 'src', 'config.ts'), 'utf8').replace('timeoutMs = 1000', 'timeoutMs = 2500'));
    cli('campaign', 'checkpoint', campaign, '-m', 'longer timeout');
    snap();
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  let preview: PanelHandle;

  it('the preview lists the plan’s repos and files, and draws a file’s inverse diff', async () => {
    preview = (await vscode.commands.executeCommand('codecontext.previewRollback', { campaign }))!;
    assert.ok(preview, 'codecontext.previewRollback returned no panel');
    await preview.whenReady();
    const shown = await preview.waitForStatus('Plan ready');
    assert.match(shown.title, /Roll back to .*webview-review/);
    assert.deepStrictEqual(shown.repos.sort(), ['north', 'south']);
    assert.deepStrictEqual(shown.files.sort(), ['north/src/config.ts', 'north/src/feature.ts', 'south/README.md', 'south/src/config.ts']);
    assert.deepStrictEqual(shown.checked.sort(), shown.files.sort(), 'every file starts ticked');
    assert.ok(shown.actions.includes('run'), `no enabled Run button: ${shown.actions.join(', ')}`);

    await preview.press('toggleDiff', `${north}\nsrc/config.ts`);
    await preview.waitFor((s) => s.diffs === 1, 'the inline diff');
    await screenshot('webview-preview', { waitForText: 'Rollback Preview' });

    // a file's "Open Diff" opens VS Code's diff editor: the file now ↔ what the rollback writes
    await preview.press('openDiff', `${north}\nsrc/config.ts`);
    const { tab, input } = await activeDiffTab();
    assert.match(tab.label, /^north\/src\/config\.ts \(now ↔ snap_/);
    assert.strictEqual(await textOf(input.original), states[3][0]['src/config.ts']);
    assert.strictEqual(await textOf(input.modified), states[0][0]['src/config.ts']);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    preview.panel.reveal();
  });

  it('runs the rollback of the files left ticked: those are back at the baseline on disk, the unticked one is not', async () => {
    await preview.press('toggleFile', `${south}\nREADME.md`);
    const chosen = await preview.rendered();
    assert.deepStrictEqual(chosen.checked.sort(), ['north/src/config.ts', 'north/src/feature.ts', 'south/src/config.ts']);
    await preview.press('run');
    const done = await preview.waitForStatus(/committed|failed|ended/);
    assert.match(done.status, /Rollback rb_\w+ committed/);
    assert.ok(done.actions.includes('undo') && done.actions.includes('openEvidence'), `result buttons: ${done.actions.join(', ')}`);
    assert.deepStrictEqual(contents(north), states[0][0]);
    const { ['README.md']: readme, ...southRest } = states[0][1];
    assert.ok(readme, 'the baseline had south/README.md');
    assert.deepStrictEqual(contents(south), southRest, 'south is at the baseline but for README.md, which was left out');
    assert.ok(!existsSync(path.join(north, 'src', 'feature.ts')));
    await screenshot('webview-preview-result', { waitForText: 'Rollback Preview' });
  });

  it('Undo in the preview returns the repos to where they were', async () => {
    // it asks first, as Undo does everywhere (VS Code refuses the modal in tests: the extension's API answers it)
    const asked = (await ready()).answerConfirmations(() => 'Undo Rollback');
    await preview.press('undo');
    const done = await preview.waitForStatus(/Undo .*(committed|failed|ended)|failed/);
    (await ready()).answerConfirmations(undefined);
    assert.match(asked[0]?.message ?? '', /^Undo "Rollback to /);
    assert.match(done.status, /Undo rb_\w+ committed/);
    assert.deepStrictEqual(contents(north), states[3][0]);
    assert.deepStrictEqual(contents(south), states[3][1]);
    preview.panel.dispose();
  });

  it('the history steps Prev / Next through a 3-step campaign, and keeps the reviewed mark', async () => {
    let history = (await vscode.commands.executeCommand<PanelHandle>('codecontext.showCampaignHistory', campaign))!;
    assert.ok(history, 'codecontext.showCampaignHistory returned no panel');
    await history.waitForStatus('Step 1 of 3'); // it opens at the first step not yet reviewed
    await history.press('key:End');
    let shown = await history.waitForStatus('Step 3 of 3');
    assert.deepStrictEqual(shown.files.sort(), ['south/README.md', 'south/src/config.ts']);
    assert.ok(!shown.actions.includes('next'), 'Next is disabled on the last step');

    await history.press('prev');
    shown = await history.waitForStatus('Step 2 of 3');
    assert.deepStrictEqual(shown.files, ['north/src/feature.ts']);

    await history.press('key:ArrowLeft');
    shown = await history.waitForStatus('Step 1 of 3');
    assert.deepStrictEqual(shown.files.sort(), ['north/src/config.ts', 'south/src/config.ts']);
    assert.ok(!shown.actions.includes('prev'), 'Prev is disabled on the first step');

    await history.press('reviewed');
    await history.waitForStatus('1 of 3 steps reviewed');
    await history.press('toggleDiff', `${north}\nsrc/config.ts`);
    await history.waitFor((s) => s.diffs === 1, 'the inline diff');
    await screenshot('webview-history', { waitForText: 'Campaign History' });

    // a file opens in the diff editor: before ↔ after the step
    await history.press('openDiff', `${south}\nsrc/config.ts`);
    const { tab, input } = await activeDiffTab();
    assert.match(tab.label, /^south\/src\/config\.ts \(baseline ↔ step 1\)/);
    assert.strictEqual(await textOf(input.original), states[0][1]['src/config.ts']);
    assert.strictEqual(await textOf(input.modified), states[1][1]['src/config.ts']);
    // the diff, beside the panel (which stays open); a Tab is a snapshot, so it is looked up again
    await vscode.window.tabGroups.close(vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.label === tab.label));
    history.panel.reveal();

    await history.press('next');
    shown = await history.waitForStatus('Step 2 of 3');
    assert.strictEqual(shown.step, 2);
    await history.press('key:ArrowRight');
    await history.waitForStatus('Step 3 of 3');

    // the mark is kept when the panel is closed and opened again
    history.panel.dispose();
    history = (await vscode.commands.executeCommand<PanelHandle>('codecontext.showCampaignHistory', campaign))!;
    await history.waitForStatus('1 of 3 steps reviewed');
    history.panel.dispose();
  });
});
