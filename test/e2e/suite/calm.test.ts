// Issue 25, items 8 to 13 ("Calm, and fast with the keyboard"), in the real VS Code: a clean palette, the
// review by keyboard (Space, Enter, Alt+N), diff titles that keep the folder, one progress notification
// in plain words, Run Command plain with "Run Again Where It Failed", the Undo on a Rollbacks row, rows
// titled by what they did, and the layout (the Review view's own container, the preview's run bar that
// folds, the check input in high contrast). Three repos and a campaign of its own, removed afterwards.
import * as assert from 'assert';
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { Api, Node, Tree, description, fixture, label, ready, waitForTree } from './fixture';
import { PanelHandle, diffTab } from './panels';
import { cli, git, write } from './repos';
import { screenshot, screenshotCounting } from './screenshot';

/** The extension's `exports.review` (client/src/extension.ts), the part used here. */
interface ReviewApi {
  tree: Tree;
  view: vscode.TreeView<Node>;
  focus: { clear(): void };
}
interface Executed {
  record: { id: string; outcome: string };
}
interface RunResult {
  step: { n: number; results?: { repo: string; exitCode: number }[] };
  failed: { repo: string }[];
}

/** The command palette opened on `text` (closed first: a palette already open keeps its own text). */
async function palette(text: string): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
  await vscode.commands.executeCommand('workbench.action.quickOpen', text);
}

/**
 * A key pressed in the workbench, as a user presses it, after a picture of the moment before; with
 * `once`, only once that text is on screen (the tree redrawn after the last key, so VS Code holds
 * its rows again: a key pressed while it re-reads them finds no focused row and does nothing).
 */
const press = (key: string, picture: string, once?: string) => screenshot(picture, { pressAfter: key, ...(once ? { waitForText: once } : {}) });

describe('calm, and fast with the keyboard (issue 25, items 8–13)', function () {
  this.timeout(120_000);
  let api: Api;
  let review: ReviewApi;
  let rollbacks: Tree;
  let root: string;
  const repos = { accepts: '', express: '', negotiator: '' };
  let campaign: string;
  const store = () => fixture().store;

  const reviewFiles = async () => (await Promise.all((await review.tree.getChildren()).map((r) => review.tree.getChildren(r)))).flat();
  const fileNode = async (repo: string, file: string) => {
    const found = (await reviewFiles()).find((n) => {
      const r = n.record as { repo: string; path: string };
      return r.repo === repo && r.path === file;
    });
    assert.ok(found, `no ${file} of ${repo} in the review tree`);
    return found;
  };
  const checked = (n: Node) => {
    const state = review.tree.getTreeItem(n).checkboxState;
    return (typeof state === 'object' ? state.state : state) === vscode.TreeItemCheckboxState.Checked;
  };
  /** The Rollbacks view focused on its first row (the newest), once `title` is drawn there: its inline actions show. */
  const focusFirstRollback = async (title: string) => {
    await vscode.commands.executeCommand('workbench.view.extension.codecontext');
    await screenshot(`calm-rollbacks-drawn-${title.length}`, { waitForText: title });
    await vscode.commands.executeCommand('codecontext.rollbacks.focus');
    await vscode.commands.executeCommand('list.focusFirst');
  };
  const viewedCount = (text: string) =>
    waitForTree(review.tree, async () => ((await review.tree.getChildren(), review.view.description) === text ? true : undefined));

  before(async () => {
    api = await ready();
    review = (api as unknown as { review: ReviewApi }).review;
    rollbacks = api.trees.rollbacks;
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand('notifications.clearAll');
    root = path.join(fixture().workspace, 'calm-repos');
    rmSync(root, { recursive: true, force: true });
    for (const name of Object.keys(repos) as (keyof typeof repos)[]) {
      const repo = (repos[name] = path.join(root, name));
      write(path.join(repo, 'index.js'), `module.exports = require('./lib/${name}');\n`);
      write(path.join(repo, 'lib', 'utils.js'), `exports.name = '${name}';\n`);
      git(repo, 'init', '-q', '-b', 'main');
      git(repo, 'add', '.');
      git(repo, 'commit', '-q', '-m', 'initial');
    }
    // two utils.js in one repo: the diff titles must tell them apart
    write(path.join(repos.express, 'test', 'utils.js'), "exports.fixture = 'express';\n");
    git(repos.express, 'add', '.');
    git(repos.express, 'commit', '-q', '-m', 'tests');
    campaign = cli('campaign', 'start', 'calm-e2e', ...Object.values(repos).flatMap((r) => ['--root', r])).id as string;
    write(path.join(repos.accepts, 'index.js'), "module.exports = require('./lib/accepts'); // v2\n");
    write(path.join(repos.express, 'lib', 'utils.js'), "exports.name = 'express'; // v2\n");
    write(path.join(repos.express, 'test', 'utils.js'), "exports.fixture = 'express'; // v2\n");
    cli('campaign', 'checkpoint', campaign, '-m', 'v2 markers');
    // a small program the campaign runs: it waits for a gate file, and fails in accepts while a marker says so
    writeFileSync(
      path.join(root, 'gate.js'),
      "const fs = require('fs'), p = require('path');\n" +
        "const gate = p.join(__dirname, 'go'), fail = p.join(__dirname, 'fail');\n" +
        'const t = setInterval(() => {\n' +
        '  if (!fs.existsSync(gate)) return;\n' +
        '  clearInterval(t);\n' +
        "  process.exit(fs.existsSync(fail) && process.cwd().endsWith('accepts') ? 3 : 0);\n" +
        '}, 20);\n',
    );
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand('notifications.clearAll');
    review.focus.clear();
    await vscode.commands.executeCommand('codecontext.review.removeView');
    rmSync(root, { recursive: true, force: true });
    // the campaign and its snapshots leave the store, so the suites after this one see the fixture's alone
    rmSync(path.join(store(), 'campaigns', `${campaign}.json`), { force: true });
    rmSync(path.join(store(), 'campaigns', campaign), { recursive: true, force: true });
    for (const f of readdirSync(path.join(store(), 'snapshots')).filter((n) => n.endsWith('.json') && !n.startsWith('.'))) {
      const manifest = JSON.parse(readFileSync(path.join(store(), 'snapshots', f), 'utf8')) as { campaign?: string };
      if (manifest.campaign === campaign) rmSync(path.join(store(), 'snapshots', f));
    }
  });

  it('11: the palette lists each command once, by its title, and "Mark Step Reviewed" only while a step is under review', async () => {
    review.focus.clear();
    await palette('>CodeContext: ');
    await screenshot('calm-palette', { waitForText: 'CodeContext: Create Snapshot' });
    // nothing under review: neither of the step's marks is offered
    await palette('>CodeContext: Mark Step');
    // no command matches: the palette offers "similar commands" instead (none of them a Mark Step)
    await screenshot('calm-palette-not-reviewing', { waitForText: 'similar commands' });
    const none = await screenshotCounting('calm-palette-not-reviewing-count', '.quick-input-list .monaco-list-row[aria-label*="Mark Step"]');
    await press('Escape', 'calm-palette-not-reviewing-closed');
    if (none) assert.strictEqual(none.count, 0, `"Mark Step …" offered with nothing under review: ${none.path}`);
    // one "Show Campaign History"
    await palette('>CodeContext: Show Campaign History');
    await screenshot('calm-palette-history', { waitForText: 'CodeContext: Show Campaign History' });
    const history = await screenshotCounting('calm-palette-history-count', '.quick-input-list .monaco-list-row[aria-label*="Show Campaign History"]');
    await press('Escape', 'calm-palette-history-closed');
    if (history) assert.strictEqual(history.count, 1, `"Show Campaign History" is listed ${history.count} times: ${history.path}`);

    // a step under review: "Mark Step Reviewed" is there, its "Not" twin is not
    await vscode.commands.executeCommand('codecontext.reviewStep', { campaign, step: 1 });
    await viewedCount('0 of 3 viewed');
    await palette('>CodeContext: Mark Step');
    await screenshot('calm-palette-reviewing', { waitForText: 'CodeContext: Mark Step Reviewed' });
    const marks = await screenshotCounting('calm-palette-reviewing-count', '.quick-input-list .monaco-list-row[aria-label*="Mark Step"]');
    await press('Escape', 'calm-palette-reviewing-closed');
    if (marks) assert.strictEqual(marks.count, 1, `"Mark Step …" rows: ${marks.count} (${marks.path})`);
  });

  it('9, 10, 13: the review by keyboard, in a view of its own: Space marks Viewed, Enter opens the diff, Alt+N the next unviewed file', async () => {
    const manifest = vscode.extensions.getExtension('codecontext.codecontext-rollback')!.packageJSON as {
      contributes: { views: Record<string, { id: string }[]> };
    };
    assert.deepStrictEqual(
      manifest.contributes.views['codecontext-review'].map((v) => v.id),
      ['codecontext.review'],
      'the Review view has a container of its own',
    );
    await vscode.commands.executeCommand('codecontext.reviewStep', { campaign, step: 1 });
    await viewedCount('0 of 3 viewed');
    assert.deepStrictEqual(
      (await reviewFiles()).map((n) => `${label(review.tree, n)} ${description(review.tree, n)}`),
      ['index.js +1 −1', 'utils.js lib · +1 −1', 'utils.js test · +1 −1'],
    );
    // the first file selected and the tree focused, as after a click on it; then only keys
    await review.view.reveal(await fileNode(repos.accepts, 'index.js'), { select: true, focus: true });
    await press('Space', 'calm-review-keyboard-start');
    await viewedCount('1 of 3 viewed');
    assert.ok(checked(await fileNode(repos.accepts, 'index.js')), 'Space did not mark accepts/index.js viewed');
    // down to express's lib/utils.js (past the express row) and Space again: the focused row, not the first one
    await press('ArrowDown', 'calm-review-keyboard-down-1', '1 of 1 file viewed');
    await press('ArrowDown', 'calm-review-keyboard-down-2');
    await press('Space', 'calm-review-keyboard-space-2');
    await viewedCount('2 of 3 viewed');
    assert.deepStrictEqual((await reviewFiles()).map(checked), [true, true, false]);
    // Enter opens its diff, titled with its folder; the tree keeps the focus
    await press('Enter', 'calm-review-keyboard-enter', '1 of 2 files viewed');
    const libTitle = 'express/lib/utils.js (baseline ↔ step 1)';
    await diffTab(libTitle);
    await screenshot('calm-diff-title', { waitForText: "'express'" }); // the diff drawn, not only its tab
    // Alt+N: the next file not yet viewed (test/utils.js), opened; Space marks it
    await press('Alt+KeyN', 'calm-review-keyboard-next');
    const testTitle = 'express/test/utils.js (baseline ↔ step 1)';
    await diffTab(testTitle);
    await screenshot('calm-review-keyboard', { waitForText: '2 of 3 files viewed' });
    await press('Space', 'calm-review-keyboard-space-3');
    await viewedCount('3 of 3 viewed');
    // nothing left: Alt+N says so
    await press('Alt+KeyN', 'calm-review-keyboard-all-viewed', '2 of 2 files viewed');
    await screenshot('calm-review-all-viewed', { waitForText: 'Every file of step 1 is viewed' });
    assert.strictEqual(await vscode.commands.executeCommand('codecontext.review.nextUnviewed'), undefined);
  });

  it('12: Run Command shows one progress notification in plain words, and a failure offers "Run Again Where It Failed"', async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand('notifications.clearAll');
    writeFileSync(path.join(root, 'fail'), '');
    const shown = api.watchProgress();
    const line = `${process.execPath} ../gate.js`;
    const running = vscode.commands.executeCommand<RunResult>('codecontext.runInCampaign', campaign, { line, confirm: false, message: 'gated' });
    await screenshot('calm-progress-notification', { waitForText: 'Running the command (0 of 3 repos)' });
    writeFileSync(path.join(root, 'go'), '');
    await screenshot('calm-run-failed', { waitForText: 'Run Again Where It Failed' });
    await vscode.commands.executeCommand('notifications.clearAll'); // the toast answered with nothing: the command resolves
    const failed = (await running)!;
    assert.deepStrictEqual(
      failed.failed.map((f) => path.basename(f.repo)),
      ['accepts'],
    );
    const notifications = shown.filter((p) => p.location === 'notification');
    assert.deepStrictEqual(
      notifications.map((p) => p.title),
      [`Running ${line}`],
    );
    for (const m of notifications[0].messages) assert.match(m, /^[A-Z][a-z ]+ \(\d+ of 3 repos\)$/, m);

    // what the toast's button runs: the same command, in the repos where it failed, as a step of its own
    rmSync(path.join(root, 'fail'));
    const again = (await vscode.commands.executeCommand<RunResult>('codecontext.runInCampaign', campaign, {
      command: [process.execPath, '../gate.js'],
      repos: failed.failed.map((f) => f.repo),
    }))!;
    assert.strictEqual(again.step.n, failed.step.n + 1);
    assert.deepStrictEqual(
      again.step.results?.map((r) => [path.basename(r.repo), r.exitCode]),
      [['accepts', 0]],
    );
  });

  it('8, 13: a rollback opens one notification, in plain words; its row is titled by what it did and offers Undo; so is the undo', async () => {
    await vscode.commands.executeCommand('notifications.clearAll');
    const shown = api.watchProgress();
    // from the Campaigns tree's row: planning shows in that view, not in a notification behind the dialog
    const rolled = (await vscode.commands.executeCommand<Executed>('codecontext.rollback', { kind: 'campaign', campaign }, { confirm: false }))!;
    assert.strictEqual(rolled.record.outcome, 'committed');
    assert.deepStrictEqual(
      shown.map((p) => [p.location, p.title]),
      [
        ['view', 'Planning the rollback'],
        ['notification', 'Rolling back 2 repos to calm-e2e baseline'],
      ],
    );
    const words = shown.flatMap((p) => p.messages);
    assert.ok(words.length > 0, 'no progress was reported');
    for (const m of words) {
      assert.match(m, /^[A-Z][a-z ]+ \(\d+ of \d+ repos?\)( \(can no longer be cancelled\))?$/, m);
      assert.doesNotMatch(m, /\b(plan|prepare|commit|verify|pin|capture) \d+\/\d+/, m);
    }
    assert.ok(
      words.some((m) => m.endsWith('(can no longer be cancelled)')),
      `the notification never said the commit had begun: ${words.join(' | ')}`,
    );
    await screenshot('calm-rollback-toast', { waitForText: 'Rolled back 2 repos to calm-e2e baseline' });
    await vscode.commands.executeCommand('notifications.clearAll'); // the toast is gone: the row still offers Undo

    const row = await waitForTree(rollbacks, async () => (await rollbacks.getChildren()).find((n) => n.rollback === rolled.record.id));
    const item = rollbacks.getTreeItem(row);
    assert.strictEqual(label(rollbacks, row), 'Rollback to calm-e2e baseline');
    assert.strictEqual(item.contextValue, 'rollback.undoable');
    assert.match(description(rollbacks, row), new RegExp(`^${rolled.record.id.slice(0, 11)} · committed · 2 repos`));
    // the row with the focus, by the tree's own commands (the newest row is the first): a reveal here would
    // race the refreshes the rollback set off (VS Code refuses an element it is re-reading at that moment)
    await focusFirstRollback('Rollback to calm-e2e baseline');
    await screenshot('calm-rollbacks-row-undo', { waitForText: 'Rollback to calm-e2e baseline' });

    // Undo from the row: the one undo confirmation, then the undo's own row, named by the rollback it undid
    const asked = api.answerConfirmations((c) => c.buttons[0]);
    const undone = (await vscode.commands.executeCommand<Executed>('codecontext.undoRollback', row))!;
    api.answerConfirmations(undefined);
    assert.strictEqual(undone.record.outcome, 'committed');
    assert.strictEqual(asked[0]?.message, 'Undo "Rollback to calm-e2e baseline"?');
    const undoRow = await waitForTree(rollbacks, async () => (await rollbacks.getChildren()).find((n) => n.rollback === undone.record.id));
    assert.strictEqual(label(rollbacks, undoRow), 'Undo of rollback to calm-e2e baseline');
    assert.strictEqual(rollbacks.getTreeItem(undoRow).contextValue, 'rollback', 'an undo offers no Undo of its own');
    const before = (await rollbacks.getChildren()).find((n) => n.rollback === rolled.record.id)!;
    assert.strictEqual(rollbacks.getTreeItem(before).contextValue, 'rollback', 'an undone rollback offers Undo no more');
    await focusFirstRollback('Undo of rollback to calm-e2e baseline');
    await screenshot('calm-rollbacks-undo-row', { waitForText: 'Undo of rollback to calm-e2e baseline' });
    await vscode.commands.executeCommand('notifications.clearAll');
  });

  it("13: the preview's run bar folds to its buttons, and its check input is readable in high contrast", async () => {
    const preview = (await vscode.commands.executeCommand<PanelHandle>('codecontext.previewRollback', { campaign }))!;
    try {
      // planned (or nothing to roll back, if the test before stopped at the campaign's baseline): the bar is drawn either way
      const open = await preview.waitForStatus(/Plan ready|Nothing to roll back/);
      assert.ok(open.footer && !open.footer.folded);
      assert.ok(open.footer.height <= Math.ceil(open.footer.viewport * 0.45) + 1, `the run bar takes ${open.footer.height} of ${open.footer.viewport} px`);
      await preview.press('foldFooter');
      const folded = await preview.waitFor((s) => !!s.footer?.folded, 'the run bar folded');
      assert.ok(folded.footer!.height < open.footer.height, `folded ${folded.footer!.height} px, open ${open.footer.height} px`);
      assert.strictEqual(folded.checkInput, undefined, 'the check input is folded away');
      assert.ok(folded.runLabel, 'Run is still there, folded');
      await screenshot('calm-preview-footer-folded', { waitForText: 'Rollback Preview: calm-e2e baseline' });
      await preview.press('foldFooter');
      await preview.waitFor((s) => s.footer?.folded === false, 'the run bar open again');

      const config = vscode.workspace.getConfiguration('workbench');
      const theme = config.inspect<string>('colorTheme')?.globalValue;
      try {
        await config.update('colorTheme', 'Default High Contrast', vscode.ConfigurationTarget.Global);
        // the theme's input colours reach the page: a black box (a bare text input stays white in every theme)
        const hc = await preview.waitFor((s) => s.checkInput?.background === 'rgb(0, 0, 0)', 'the check input drawn with the high-contrast theme', 15_000);
        const c = hc.checkInput!;
        assert.notStrictEqual(c.color, c.background, 'its text has the colour of its box');
        assert.notStrictEqual(c.placeholder, c.background, 'its placeholder is invisible');
        await screenshot('calm-preview-high-contrast', { waitForText: 'Rollback Preview: calm-e2e baseline' });
      } finally {
        await config.update('colorTheme', theme, vscode.ConfigurationTarget.Global);
      }
    } finally {
      preview.panel.dispose();
    }
  });
});
