import * as assert from 'assert';
import * as vscode from 'vscode';
import { EXTENSION_ID, fixture, ready } from './fixture';
import { screenshot } from './screenshot';

describe('CodeContext extension', () => {
  it('activates in the extension host and its server starts', async () => {
    await ready();
    assert.strictEqual(vscode.extensions.getExtension(EXTENSION_ID)?.isActive, true);
  });

  it('shows the campaign made with the CLI before VS Code opened, and its status bar item', async () => {
    await vscode.commands.executeCommand('workbench.view.extension.codecontext');
    await screenshot('workbench-campaigns', { waitForText: fixture().campaign.name });
  });
});
