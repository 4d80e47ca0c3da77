// Issue 25, items 1–7 ("Never offer what you know will lose or fail", "Records that tell the truth"), in the
// real VS Code, on two repos and a campaign of their own (removed afterwards).
import * as assert from 'assert';
import { readFileSync, rmSync, watch } from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { Api, Confirmation, fixture, ready } from './fixture';
import { cli, git, write } from './repos';
import { screenshot } from './screenshot';
import { PanelHandle, diffTab } from './panels';

interface Executed {
  record: { id: string; outcome: string; safetySnapshot?: string };
}

function run<T>(command: string, ...args: unknown[]): Promise<T> {
  return vscode.commands.executeCommand(`codecontext.${command}`, ...args) as Promise<T>;
}

/**
 * VS Code refuses modal dialogs while extension tests run: the confirmation's words and buttons are
 * shown as a notification instead, pictured, then answered with `answer`.
 */
async function pictureConfirmation(c: Confirmation, name: string, waitForText: string): Promise<void> {
  void vscode.window.showWarningMessage(`${c.message} ${c.detail.replace(/\n+/g, ' ')}`, ...c.buttons);
  await screenshot(name, { waitForText });
  await vscode.commands.executeCommand('notifications.clearAll');
}

describe('never offer what will lose or fail (issue 25, items 1–7)', function () {
  this.timeout(120_000);
  let api: Api;
  let root: string;
  const repos = { accepts: '', express: '' };
  let campaign: string;
  const lines = (n: number, mark?: string) => Array.from({ length: n }, (_, i) => `line ${i + 1}${mark && i === 2 ? ` ${mark}` : ''}`).join('\n') + '\n';

  before(async () => {
    api = await ready();
    await vscode.commands.executeCommand('notifications.clearAll');
    root = path.join(fixture().workspace, 'truthful-repos');
    rmSync(root, { recursive: true, force: true });
    for (const name of Object.keys(repos) as (keyof typeof repos)[]) {
      const repo = (repos[name] = path.join(root, name));
      write(path.join(repo, 'package.json'), lines(20));
      write(path.join(repo, 'index.js'), `module.exports = '${name}';\n`);
      git(repo, 'init', '-q', '-b', 'main');
      git(repo, 'add', '.');
      git(repo, 'commit', '-q', '-m', 'initial');
    }
    campaign = cli('campaign', 'start', 'truthful-e2e', ...Object.values(repos).flatMap((r) => ['--root', r])).id as string;
    for (const repo of Object.values(repos)) {
      write(path.join(repo, 'package.json'), lines(20, '(by the campaign)'));
      write(path.join(repo, 'index.js'), `module.exports = '${path.basename(repo)}'; // by the campaign\n`);
    }
    write(path.join(repos.accepts, 'README.md'), '# accepts, by the campaign\n');
    cli('campaign', 'checkpoint', campaign, '-m', 'mark line 3');
  });

  after(async () => {
    api.answerConfirmations(undefined);
    await vscode.commands.executeCommand('notifications.clearAll');
    rmSync(root, { recursive: true, force: true });
    rmSync(path.join(fixture().store, 'campaigns', `${campaign}.json`), { force: true });
  });

  it('1: Undo over later edits names them, Preview Undo… (Enter) shows its files and a diff, a refusal leaves no row, "Keep My Edits" keeps them', async () => {
    const rolled = await run<Executed>('rollbackToSnapshot', { kind: 'campaign', campaign }, { confirm: false });
    assert.strictEqual(rolled.record.outcome, 'committed');
    const pkg = path.join(repos.accepts, 'package.json');
    assert.strictEqual(readFileSync(pkg, 'utf8'), lines(20));
    const mine = lines(20).replace('line 18\n', 'line 18, my edit\n');
    write(pkg, mine);
    const rows = (await api.trees.rollbacks.getChildren()).length;

    // The dialog names the edit and offers Preview Undo… (Enter), then a rollback's three choices, the safe one first
    const asked = api.answerConfirmations((c) => (c.buttons[0] === 'Preview Undo…' ? c.buttons[0] : undefined));
    const undoing = run('undoRollback', { kind: 'rollback', rollback: rolled.record.id });
    // the preview: the undo's files in a pick, the user's edit first and marked; picking it opens its diff (now ↔ the safety snapshot)
    await screenshot('undo-preview-pick', { waitForText: '⚠ your edit, will be lost' });
    await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
    const safety = rolled.record.safetySnapshot!.slice(0, 13);
    const tab = await diffTab(`accepts/package.json (now ↔ ${safety})`);
    const input = tab.input as vscode.TabInputTextDiff;
    assert.strictEqual(input.original.fsPath, pkg, 'the left side is the file as it is now');
    assert.strictEqual(input.modified.scheme, 'codecontext', 'the right side is what the undo writes');
    // closing the pick asks the same question again, without Preview Undo…: Cancel
    await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
    assert.strictEqual(await undoing, undefined);
    await vscode.window.tabGroups.close(vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.label === tab.label));
    assert.strictEqual(asked.length, 2);
    const [first, c] = asked;
    assert.deepStrictEqual(first.buttons, ['Preview Undo…', 'Leave Those Files Out', 'Keep My Edits', 'Overwrite My Edits']);
    assert.strictEqual(first.defaultButton, 'Preview Undo…');
    assert.deepStrictEqual(c.buttons, ['Leave Those Files Out', 'Keep My Edits', 'Overwrite My Edits']);
    assert.strictEqual(c.defaultButton, 'Leave Those Files Out');
    assert.strictEqual(first.message, c.message);
    assert.match(c.detail, /⚠ Edited since the rollback: your edit, will be lost if overwritten:\n• accepts\/package\.json\n/);
    assert.match(c.detail, /the undo's own safety snapshot keeps a copy/);
    await vscode.commands.executeCommand('notifications.clearAll');
    await pictureConfirmation(first, 'truthful-undo-dialog-later-edits', 'accepts/package.json');
    assert.strictEqual(readFileSync(pkg, 'utf8'), mine);
    assert.strictEqual((await api.trees.rollbacks.getChildren()).length, rows, 'a cancelled undo added a row');

    // "Keep My Edits": the edit stays, the campaign's line comes back around it
    api.answerConfirmations(() => 'Keep My Edits');
    const undone = await run<Executed>('undoRollback', { kind: 'rollback', rollback: rolled.record.id });
    assert.strictEqual(undone.record.outcome, 'committed');
    assert.strictEqual(readFileSync(pkg, 'utf8'), lines(20, '(by the campaign)').replace('line 18\n', 'line 18, my edit\n'));
    assert.strictEqual(readFileSync(path.join(repos.express, 'package.json'), 'utf8'), lines(20, '(by the campaign)'));
    await vscode.commands.executeCommand('notifications.clearAll');
  });

  it('2: your edits are named on every pick, the latest checkpoint too: in the row, the dialog (Preview first) and the preview', async () => {
    const steps = (JSON.parse(readFileSync(path.join(fixture().store, 'campaigns', `${campaign}.json`), 'utf8')) as { steps: { snapshot: string }[] }).steps;
    const latest = steps[steps.length - 1].snapshot;
    const edited = [path.join(repos.accepts, 'index.js'), path.join(repos.express, 'index.js'), path.join(repos.express, 'package.json')];
    const before = edited.map((f) => readFileSync(f, 'utf8'));
    edited.forEach((f, i) => write(f, `${before[i]}// my edit\n`));
    try {
      const shown = await run<Confirmation>('rollbackToSnapshot', latest, { dryRun: true });
      assert.strictEqual(shown.defaultButton, 'Preview…');
      assert.deepStrictEqual(shown.buttons, ['Preview…', 'Roll Back Over My Edits']);
      assert.match(shown.message, /^Roll back 2 repos to /);
      // package.json keeps the edit the undo kept (test 1): recorded by that undo, so not "yours" here
      assert.match(shown.detail, /• accepts: 2 files \(⚠ 1 is your edit\)/);
      assert.match(shown.detail, /• express: 2 files \(⚠ 2 are your edits\)/);
      assert.match(shown.detail, /⚠ Your edits, will be lost .*:\n• accepts\/index\.js\n• express\/index\.js\n• express\/package\.json\n/);
      // the quick pick's row for that checkpoint says the same before anything is planned
      const picked = run<Confirmation | undefined>('rollbackToSnapshot', undefined, { dryRun: true });
      await screenshot('truthful-picker-your-edits-latest-checkpoint', { waitForText: '3 are your edits, will be lost', pressAfter: 'Escape' });
      assert.strictEqual(await picked, undefined);
    } finally {
      edited.forEach((f, i) => write(f, before[i]));
    }
  });

  it('5: the evidence of a partial rollback says what was left out and why, and that it came from the extension', async () => {
    const preview = (await vscode.commands.executeCommand<PanelHandle>('codecontext.previewRollback', { campaign }))!;
    try {
      await preview.waitForStatus(/Plan ready|choose/i);
      await preview.press('toggleRepo', repos.express);
      await preview.press('toggleFile', `${repos.accepts}\npackage.json`);
      const chosen = await preview.waitFor((s) => s.runLabel === 'Roll Back the Chosen 2 Files in 1 Repo', 'two files of one repo chosen');
      assert.deepStrictEqual(chosen.checked.filter((f) => f.startsWith('accepts/')).sort(), ['accepts/README.md', 'accepts/index.js']);
      // item 6: the header counts what is chosen, as the button does: package.json's edit is left out, so nothing of the user's is lost
      assert.ok(!(chosen.driftMarks ?? []).some((m) => /will be lost/.test(m)), `the header still says an edit will be lost: ${chosen.driftMarks}`);
      await preview.press('run');
      const done = await preview.waitForStatus(/committed|failed|ended|refused|stopped/);
      assert.match(done.status, /Rollback rb_\w+ committed/);
      // item 6: the result replaces the plan it ran
      assert.deepStrictEqual(done.repos, [], 'the old plan stayed above the result');
      const id = /rb_\w+/.exec(done.status)![0];
      const pack = JSON.parse(readFileSync(path.join(fixture().store, 'rollbacks', id, `evidence-${id}.json`), 'utf8')) as {
        leftOut?: { repo: string; path?: string; reason: string }[];
        command: string[];
      };
      assert.deepStrictEqual(pack.leftOut, [
        { repo: repos.express, reason: 'unticked' },
        { repo: repos.accepts, path: 'package.json', reason: 'unticked' },
      ]);
      const report = (await vscode.commands.executeCommand<PanelHandle>('codecontext.openEvidence', id))!;
      await report.whenReady();
      await report.waitFor((s) => s.repos.length === 1, 'the report');
      await vscode.commands.executeCommand('notifications.hideToasts');
      await screenshot('truthful-partial-rollback-report', { waitForText: 'Evidence: Rollback to truthful-e2e baseline' });
      // item 6: an undo from elsewhere (here the command a tree row runs) updates the page: it plans again
      await run('undoRollback', { kind: 'rollback', rollback: id }, { confirm: false });
      const after = await preview.waitFor((s) => s.repos.length > 0 && /^Plan ready/.test(s.status), 'the page planned again after the undo');
      assert.ok(
        after.statusLog?.some((l) => l.startsWith(`Rollback ${id} was undone by rb_`)),
        `the page did not say the undo: ${after.statusLog?.join(' | ')}`,
      );
    } finally {
      preview.panel.dispose();
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    }
  });
  it('4: a replay conflict is listed under its repo with its file and hunk, and Run is disabled with the ways out offered', async () => {
    const pkg = path.join(repos.express, 'package.json');
    const before = readFileSync(pkg, 'utf8');
    write(pkg, before.replace('line 3 (by the campaign)', 'line 3 (by the campaign), and mine'));
    const preview = (await vscode.commands.executeCommand<PanelHandle>('codecontext.previewRollback', { campaign, mode: 'replay' }))!;
    try {
      const shown = await preview.waitFor((s) => /conflict/.test(s.alert ?? '') || /conflict/i.test(s.status), 'the conflict said');
      assert.match(shown.alert ?? '', /1 conflict in express \(listed under its repo\): the run would be refused/);
      assert.ok(!shown.actions.includes('run'), `Run is offered over a conflict: ${shown.actions.join(', ')}`);
      // one count everywhere: the button counts the repos the status line counts
      assert.strictEqual(shown.runLabel, 'Roll Back 3 Files in 1 Repo');
      assert.match(shown.status, /3 files in 1 repo change/);
      assert.ok(shown.actions.includes('leaveOutConflict') && shown.actions.includes('restore'), shown.actions.join(', '));
      await vscode.commands.executeCommand('notifications.hideToasts');
      await screenshot('truthful-replay-conflict-run-disabled', { waitForText: 'Rollback Preview: truthful-e2e baseline' });
      await preview.press('leaveOutConflict');
      const left = await preview.waitFor((s) => s.actions.includes('run'), 'Run offered once the repo is left out');
      assert.doesNotMatch(left.alert ?? '', /conflict/);
    } finally {
      preview.panel.dispose();
      write(pkg, before);
    }
  });
  it('7: a server killed mid-command says where the command finished, records that as a step, and offers to run it again where it did not', async () => {
    const log = path.join(fixture().store, 'campaigns', campaign, 'run.jsonl');
    const entries = () => {
      try {
        return readFileSync(log, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l.slice(l.indexOf(' ') + 1)) as { t: string; repo?: string });
      } catch {
        return [];
      }
    };
    // accepts finishes at once; express runs far longer than this test
    const script = "if (process.cwd().endsWith('accepts')) process.exit(0); setInterval(() => {}, 1000)";
    const running = run<{ interrupted?: boolean; step?: { n: number }; finished: string[]; notFinished: string[]; message: string }>(
      'runInCampaign',
      campaign,
      { command: ['node', '-e', script], message: 'wait in express' },
    );
    // the moment to kill the server: accepts' result is logged and express's command has started
    await new Promise<void>((resolve) => {
      const ready = () =>
        entries().some((e) => e.t === 'result' && e.repo === repos.accepts) && entries().some((e) => e.t === 'spawned' && e.repo === repos.express);
      const watcher = watch(path.dirname(path.dirname(log)), { recursive: true }, () => {
        if (ready()) {
          watcher.close();
          resolve();
        }
      });
      if (ready()) {
        watcher.close();
        resolve();
      }
    });
    const pid = api.serverPid();
    assert.ok(pid, 'no server process id');
    process.kill(pid, 'SIGKILL');
    const r = await running;
    assert.strictEqual(r.interrupted, true, JSON.stringify(r));
    assert.deepStrictEqual(r.finished, [repos.accepts]);
    assert.deepStrictEqual(r.notFinished, [repos.express]);
    assert.ok(r.step, 'the interrupted run was not recorded as a step');
    assert.match(
      r.message,
      /^The CodeContext server stopped while .* ran\. It finished in 1 repo \(accepts\) and did not finish in 1 repo \(express\); step \d+ recorded/,
    );
    // the notification centre: every message in full, the toast's fade-in done
    await vscode.commands.executeCommand('notifications.showList');
    await screenshot('truthful-server-killed-mid-command', { waitForText: 'did not finish in 1 repo (express)' });
    await vscode.commands.executeCommand('notifications.hideList');
    await vscode.commands.executeCommand('notifications.clearAll');
  });
  it('14: campaign blame: a line a step wrote is marked, its hover says the campaign, step and command, and the mark follows an edit', async () => {
    const blame = (api as unknown as { blame: { blamed(f: string): { line: number; campaignName: string; step: number }[]; onDidDraw: vscode.Event<string> } })
      .blame;
    const file = path.join(repos.accepts, 'package.json');
    const drawnWith = (test: (lines: { line: number }[]) => boolean) =>
      new Promise<void>((resolve) => {
        const d = blame.onDidDraw((f) => {
          if (f === file && test(blame.blamed(file))) {
            d.dispose();
            resolve();
          }
        });
      });
    // both marks: test 1's diff loaded this file's document before its undo, and VS Code may show it once as it was then, before it reads the file again
    let drawn = drawnWith((l) => l.length === 2);
    const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(file));
    await drawn;
    assert.deepStrictEqual(
      blame.blamed(file).map((l) => [l.line, l.campaignName, l.step]),
      // line 18's edit, kept by the undo of test 1, was recorded by the interrupted run's step (test 7)
      [
        [2, 'truthful-e2e', 1],
        [17, 'truthful-e2e', 2],
      ],
    );
    editor.selection = new vscode.Selection(2, 3, 2, 3);
    await vscode.commands.executeCommand('editor.action.showHover');
    await screenshot('truthful-campaign-blame-hover', { waitForText: 'Open Step in History' });
    // a line typed above it: the mark moves with the line the step wrote
    drawn = drawnWith((l) => l.length === 2 && l[0].line === 3 && l[1].line === 18);
    await editor.edit((e) => e.insert(new vscode.Position(0, 0), 'typed above\n'));
    await drawn;
    await vscode.commands.executeCommand('workbench.action.files.revert');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });
});
