import * as assert from 'assert';
import { existsSync } from 'fs';
import * as vscode from 'vscode';
import { screenshot } from './screenshot';

const EXTENSION_ID = 'codecontext.codecontext-rollback';

describe('CodeContext extension', () => {
  it('activates in the extension host', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is not loaded`);
    await ext.activate();
    assert.strictEqual(ext.isActive, true);
  });

  it('registers "CodeContext: Refresh" and runs it', async () => {
    const commands = await vscode.commands.getCommands(true);
    assert.ok(commands.includes('codecontext.refresh'), 'codecontext.refresh is not registered');
    await vscode.commands.executeCommand('codecontext.refresh');
  });

  it('shows the Campaigns view with its welcome message', async () => {
    await vscode.commands.executeCommand('workbench.view.extension.codecontext');
    const file = await screenshot('workbench-campaigns', { waitForText: 'No campaigns yet' });
    if (file) assert.ok(existsSync(file), `${file} was not written`);
  });
});
