// Issue 15, points 17 and 18 in the real VS Code: Open Evidence shows the pack as a rendered report (outcome,
// a Gantt timeline of the phases per repo, states, inverse diffs) with a Verify that runs the check of
// `codecontext evidence verify --repos` through the server; the pack's standalone HTML page renders in headless
// Chromium with the network blocked; the Rollbacks tree's Time tooltip is text; and "Run Command in Campaign…"
// shows the exact argv its line is read into (the confirmation's words, through `dryRun`: VS Code refuses
// modal dialogs in tests).
import * as assert from 'assert';
import { existsSync, readFileSync, statSync, writeFileSync } from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type * as ReportInBrowser from '../../../scripts/e2e/reportInBrowser';
import { Api, fixture, label, readyInView, waitForTree } from './fixture';
import { PanelHandle } from './panels';
import { screenshot } from './screenshot';

const f = fixture();
const checkout = path.resolve(__dirname, '../../../..');

/** The evidence panel's handle, with what its Verify found. */
interface EvidencePanel extends PanelHandle {
  verified?: { ok: boolean; problems: string[]; signature: string; repos: { name: string; ok: boolean; problem?: string }[] };
}
interface ExecuteResult {
  record: { id: string; outcome: string; evidence: string; repos: unknown[] };
}
/** The part of client/src/commands/storeCommands.ts's RunConfirmation these tests read. */
interface RunConfirmation {
  message: string;
  detail: string;
  buttons: string[];
  severity: 'info' | 'warning';
  argv: string[];
  shellArgv: string[];
  needsShell?: string;
}

/** The campaign's end state, where every test file starts and ends. */
function atCampaignEnd(): void {
  assert.match(readFileSync(path.join(f.repos.alpha, 'src', 'index.ts'), 'utf8'), /import \{ log \}/);
  assert.ok(!existsSync(path.join(f.repos.beta, 'old.txt')), 'beta/old.txt is back');
  assert.strictEqual(readFileSync(path.join(f.repos.gamma, 'NOTES.md'), 'utf8'), 'work in progress\n');
}

describe('evidence report (issue 15)', function () {
  this.timeout(180_000);
  let api: Api;
  let rollback: ExecuteResult | undefined;
  let undone = false;

  before(async () => {
    api = await readyInView();
    atCampaignEnd();
    rollback = (await vscode.commands.executeCommand('codecontext.rollbackToSnapshot', f.snapshot, { confirm: false })) as ExecuteResult;
    assert.strictEqual(rollback?.record.outcome, 'committed');
  });

  /** Back to the campaign's end for the test files after this one, whatever happened here. */
  async function undo(): Promise<void> {
    if (undone || !rollback) return;
    undone = true;
    const r = (await vscode.commands.executeCommand('codecontext.undoLastRollback', rollback.record.id, { confirm: false })) as ExecuteResult;
    assert.strictEqual(r?.record.outcome, 'committed');
    atCampaignEnd();
  }
  after(async () => {
    await undo();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('Open Evidence shows the rendered report with a timeline, states and inverse diffs; Verify runs the server’s check', async () => {
    const rb = rollback!.record.id;
    const panel = (await vscode.commands.executeCommand('codecontext.openEvidence', rb)) as EvidencePanel;
    assert.ok(panel, 'openEvidence returned no panel');
    await panel.whenReady(); // a probe sent before the page listens is never answered
    const shown = await panel.waitFor((s) => s.repos.length === 3, 'the report');
    assert.strictEqual(shown.title, `Rollback to before the codemod`);
    assert.deepStrictEqual(shown.repos, ['alpha', 'beta', 'gamma']);
    assert.ok(shown.files.includes('alpha/src/index.ts') && shown.files.includes('beta/old.txt'), shown.files.join(', '));
    assert.strictEqual(shown.diffs, shown.files.length, 'every file has its inverse diff');
    assert.ok(
      ['verify', 'openJson', 'copyReportPath', 'expandAll'].every((a) => shown.actions.includes(a)),
      shown.actions.join(', '),
    );
    assert.match(shown.status, /Not verified yet/);
    assert.ok(vscode.window.tabGroups.activeTabGroup.activeTab?.input instanceof vscode.TabInputWebview, 'the report opened, not a JSON editor');

    // the pack has what the timeline draws: each repo's prepare, commit and verify
    const pack = JSON.parse(readFileSync(rollback!.record.evidence, 'utf8')) as { repos: { timings?: { name: string }[] }[] };
    for (const r of pack.repos)
      assert.deepStrictEqual(
        (r.timings ?? []).map((t) => t.name),
        ['prepare', 'commit', 'verify'],
      );

    await panel.press('verify');
    const ok = await panel.waitForStatus(/^Verified|^Verify failed/);
    assert.match(ok.status, /^Verified: intact, and all 3 repos are still in the recorded end state\.$/, JSON.stringify(panel.verified));
    await panel.press('expandAll');
    await vscode.commands.executeCommand('notifications.hideToasts'); // the rollback's progress toasts, still fading out
    await screenshot('evidence-report-webview', { waitForText: `Evidence: Rollback to before the codemod` });

    // after an undo the repos are no longer where this rollback left them: Verify says so, per repo
    await undo();
    await panel.press('verify');
    const changed = await panel.waitForStatus(/^Verified the pack|^Verify failed/);
    assert.match(changed.status, /^Verified the pack: intact, but 3 repos have changed since\.$/);
    assert.deepStrictEqual(
      panel.verified?.repos.map((r) => `${r.name}: ${r.problem}`),
      ['alpha', 'beta', 'gamma'].map((n) => `${n}: changed since the rollback ended`),
    );
    await vscode.commands.executeCommand('notifications.hideToasts');
    await screenshot('evidence-report-webview-verify-failed', { waitForText: `Evidence: Rollback to before the codemod` });

    // a page edited in the store (say, before it went into a ticket) fails the same check, by name
    const page = path.join(path.dirname(rollback!.record.evidence), `evidence-${rb}.html`);
    const original = readFileSync(page);
    try {
      writeFileSync(page, original.toString('utf8').replace('>Committed<', '>Committed, no problems<'));
      await panel.press('verify');
      const edited = await panel.waitForStatus(/^Verify failed/);
      assert.match(edited.status, /^Verify failed: 4 problems\.$/);
      assert.deepStrictEqual(panel.verified?.problems, [`the HTML report was modified after it was written: ${page}`]);
    } finally {
      writeFileSync(page, original);
    }
    panel.panel.dispose();
  });

  it('the pack’s standalone HTML renders in headless Chromium from its folder with every non-file request aborted, none attempted', async function () {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const browser = require(path.join(checkout, 'scripts/e2e/reportInBrowser.js')) as typeof ReportInBrowser;
    if (!browser.chromiumAvailable()) this.skip();
    const rb = rollback!.record.id;
    const html = path.join(path.dirname(rollback!.record.evidence), `evidence-${rb}.html`);
    const artifacts = process.env.CODECONTEXT_E2E_ARTIFACTS ?? path.join(checkout, '.vscode-test', 'artifacts');
    const png = path.join(artifacts, 'evidence-report-standalone.png');
    const r = await browser.renderReport(html, png);
    assert.deepStrictEqual(r.blocked, [], 'the page asked for something off this machine');
    assert.deepStrictEqual(
      r.requests.filter((u) => !u.startsWith('file://')),
      [],
    );
    assert.deepStrictEqual(r.cspErrors, []);
    assert.deepStrictEqual(r.consoleErrors, []);
    assert.strictEqual(r.scripts, 0);
    assert.deepStrictEqual(r.repos, ['alpha', 'beta', 'gamma']);
    assert.strictEqual(r.bars, 3 + 3 * 3, 'the transaction’s three phases and three per repo');
    assert.strictEqual(r.diffs, r.files.length);
    assert.match(r.text, new RegExp(`Rollback to before the codemod[\\s\\S]*Committed[\\s\\S]*Timeline[\\s\\S]*Repositories`));
    assert.ok(statSync(png).size > 10_000);
  });

  it('the Rollbacks tree’s Time tooltip is readable text (Markdown), not JSON', async () => {
    const t = api.trees.rollbacks;
    const rb = rollback!.record.id;
    const node = await waitForTree(t, async () => (await t.getChildren()).find((n) => n.rollback === rb));
    const time = (await t.getChildren(node)).find((n) => label(t, n).startsWith('Time: '))!;
    const tooltip = t.getTreeItem(time).tooltip;
    assert.ok(tooltip instanceof vscode.MarkdownString, `tooltip is ${typeof tooltip}`);
    // appendText escapes what Markdown would read (spaces as &nbsp;): the text a user reads is the unescaped one
    const text = tooltip.value.replace(/&nbsp;/g, ' ').replace(/\\(.)/g, '$1');
    assert.doesNotMatch(text, /[{}]|"name"/);
    assert.match(text, /^\*\*Rollback to .*\*\* — committed in /);
    assert.match(text, /\| Phase \| Started \| Took \| Retries \|/);
    for (const phase of ['prepare', 'commit', 'verify']) assert.match(text, new RegExp(`^\\| ${phase} \\| \\+\\d+ ms|^\\| ${phase} \\| \\+[\\d.]+ s`, 'm'));
  });

  it('Run Command in Campaign… is plain for a plain line, shows words its quotes made (not JSON), and runs a shell line with sh -c', async () => {
    // issue 25, item 12: a plain line is named as typed, with one button and no warning icon
    const plain = (await vscode.commands.executeCommand('codecontext.runInCampaign', f.campaign.id, {
      line: 'npm version patch --no-git-tag-version',
      dryRun: true,
    })) as RunConfirmation;
    assert.strictEqual(plain.message, `Run npm version patch --no-git-tag-version in the 3 repos of ${f.campaign.name}?`);
    assert.deepStrictEqual([plain.severity, plain.buttons], ['info', ['Run']]);
    assert.deepStrictEqual(plain.argv, ['npm', 'version', 'patch', '--no-git-tag-version']);
    assert.doesNotMatch(plain.detail, /[[\]"$]|argv|POSIX/, plain.detail);

    const line = `sed -i 's/a b/c/' "x y.txt" a\\x20b '\\x20' $'\\x20'`;
    const shown = (await vscode.commands.executeCommand('codecontext.runInCampaign', f.campaign.id, { line, dryRun: true })) as RunConfirmation;
    assert.deepStrictEqual(shown.argv, ['sed', '-i', 's/a b/c/', 'x y.txt', 'ax20b', '\\x20', ' ']);
    assert.strictEqual(shown.message, `Run sed in the 3 repos of ${f.campaign.name}?`);
    const lines = shown.detail.split('\n');
    assert.strictEqual(lines[0], 'Each repo runs it in its own folder, without a shell, as 7 words:');
    assert.strictEqual(lines[1], 'sed  -i  ‹s/a b/c/›  ‹x y.txt›  ax20b  \\x20  ‹ ›');
    assert.deepStrictEqual([shown.severity, shown.buttons], ['info', ['Run']]);
    assert.deepStrictEqual(shown.shellArgv, ['sh', '-c', line]);

    // while typing, the input box shows the words the line is read into, as words
    const typing = vscode.commands.executeCommand('codecontext.runInCampaign', f.campaign.id, { value: line });
    await screenshot('run-in-campaign-words', { waitForText: 'Runs as 7 words', pressAfter: 'Escape' });
    assert.strictEqual(await typing, undefined);

    const piped = (await vscode.commands.executeCommand('codecontext.runInCampaign', f.campaign.id, {
      line: 'grep -l log src/*.ts | wc -l',
      dryRun: true,
    })) as RunConfirmation;
    assert.strictEqual(piped.needsShell, 'the glob src/*.ts');
    assert.deepStrictEqual([piped.severity, piped.buttons], ['warning', ['Run in a Shell']]);
    assert.match(piped.message, /^Run grep -l log src\/\*\.ts \| wc -l in a shell, in the 3 repos of /);
    const variable = (await vscode.commands.executeCommand('codecontext.runInCampaign', f.campaign.id, {
      line: 'echo "$HOME"',
      dryRun: true,
    })) as RunConfirmation;
    assert.strictEqual(variable.needsShell, 'the variable $HOME');
    atCampaignEnd();
  });
});
