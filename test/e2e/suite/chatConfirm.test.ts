// Issue 23, item 4: a destructive agent tool asks first. Outside a chat request VS Code shows no tool
// confirmation, so a test-only chat participant (test/e2e/chatParticipant) invokes codecontext_undo_step
// inside one, as an agent would; VS Code then shows the tool's prepareInvocation confirmation in the chat
// view. Pictured, then answered by clicking its buttons: Cancel changes nothing on disk, Continue undoes the step.
import * as assert from 'assert';
import { readFileSync, rmSync } from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { fixture, ready } from './fixture';
import { cli, git, write } from './repos';
import { screenshot } from './screenshot';

/** The test extension's exports (test/e2e/chatParticipant/extension.ts). */
interface ChatTool {
  next(): Promise<{ tool: string; result?: string; error?: string }>;
}

describe('agent tool confirmation in the chat view (issue 23)', function () {
  this.timeout(120_000);
  let root: string;
  let repo: string;
  let campaign: string;
  let chat: ChatTool;
  const read = (rel: string) => readFileSync(path.join(repo, rel), 'utf8');

  before(async function () {
    if (!process.env.CODECONTEXT_E2E_SCREENSHOT_URL) this.skip(); // the buttons are clicked in the browser the workbench runs in
    await ready();
    root = path.join(fixture().workspace, 'chat-repos');
    rmSync(root, { recursive: true, force: true });
    repo = path.join(root, 'app');
    write(path.join(repo, 'version.txt'), '1.0.0\n');
    write(path.join(repo, 'name.txt'), 'logger\n');
    git(repo, 'init', '-q', '-b', 'main');
    git(repo, 'add', '.');
    git(repo, 'commit', '-q', '-m', 'initial');
    campaign = cli('campaign', 'start', 'chat-e2e', '--root', repo).id as string;
    write(path.join(repo, 'version.txt'), '2.0.0\n');
    cli('campaign', 'checkpoint', campaign, '-m', 'bump the version');
    write(path.join(repo, 'name.txt'), 'log\n');
    cli('campaign', 'checkpoint', campaign, '-m', 'rename');
    const ext = vscode.extensions.getExtension<ChatTool>('codecontext-e2e.chat-confirm');
    assert.ok(ext, 'the test-only chat participant is loaded (runTests.ts)');
    chat = await ext.activate();
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAuxiliaryBar');
    // the campaign left active would be the newest one, which the status bar and the later files' trees show:
    // rolled back whole, it is no longer active
    if (campaign) cli('rollback', '--campaign', campaign, '--force');
    rmSync(root, { recursive: true, force: true });
  });

  /** A new chat, then "codecontext_undo_step {…}" sent in it (to the test-only default participant). */
  const ask = async (step: number) => {
    await vscode.commands.executeCommand('workbench.action.chat.open');
    await vscode.commands.executeCommand('workbench.action.chat.newChat');
    await vscode.commands.executeCommand('workbench.action.chat.open', {
      mode: 'ask',
      query: `codecontext_undo_step ${JSON.stringify({ campaign, step })}`,
    });
  };

  it('shows "Undo one step?" in the chat view; Cancel runs nothing and changes nothing on disk', async () => {
    const before = { version: read('version.txt'), name: read('name.txt'), status: git(repo, 'status', '--porcelain'), head: git(repo, 'rev-parse', 'HEAD') };
    const rollbacks = (cli('rollback', 'list') as unknown as unknown[]).length;
    await ask(1);
    const shot = await screenshot('lm-tool-confirmation', { waitForText: 'Undo one step?', clickAfter: 'Cancel' });
    assert.ok(shot);
    const outcome = await chat.next();
    assert.strictEqual(outcome.result, undefined, `the tool ran: ${outcome.result}`);
    assert.match(outcome.error ?? '', /cancel/i);
    await screenshot('lm-tool-cancelled', { waitForText: 'codecontext_undo_step did not run' });
    assert.deepStrictEqual(
      { version: read('version.txt'), name: read('name.txt'), status: git(repo, 'status', '--porcelain'), head: git(repo, 'rev-parse', 'HEAD') },
      before,
    );
    assert.strictEqual((cli('rollback', 'list') as unknown as unknown[]).length, rollbacks, 'no rollback recorded');
  });

  it('Continue undoes that step alone: the later step is kept', async () => {
    await ask(1);
    await screenshot('lm-tool-confirmation-continue', {
      waitForText: 'Undo step 1 of campaign "chat-e2e" alone (bump the version: 1 file in 1 repo)',
      clickAfter: 'Continue',
    });
    const outcome = await chat.next();
    assert.strictEqual(outcome.error, undefined, outcome.error);
    const record = JSON.parse(outcome.result!) as { outcome: string; target: string };
    assert.strictEqual(record.target, 'chat-e2e step 1 only');
    assert.strictEqual(record.outcome, 'committed', outcome.result);
    assert.strictEqual(read('version.txt'), '1.0.0\n', 'step 1 undone');
    assert.strictEqual(read('name.txt'), 'log\n', 'step 2 kept');
    await screenshot('lm-tool-continued', { waitForText: 'codecontext_undo_step answered' });
  });
});
