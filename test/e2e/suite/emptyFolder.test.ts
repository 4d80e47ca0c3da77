// The second session of runTests.ts: VS Code opened on a folder without any git repository. The
// CodeContext views say so in their welcome content at once, before the user types anything.
import * as assert from 'assert';
import * as vscode from 'vscode';
import { ready } from './fixture';
import { screenshot } from './screenshot';

describe('an empty folder (issue 15, point 23)', () => {
  it('the welcome views say there is no git repository under the folder, with a way to open another', async () => {
    const api = await ready();
    assert.strictEqual(await api.noRepos(), true, 'the codecontext.noRepos context key');
    await vscode.commands.executeCommand('workbench.view.extension.codecontext');
    await screenshot('empty-folder-welcome', { waitForText: 'No git repositories under the workspace folders' });
    // the Rollbacks view offers no rollback where there is nothing to roll back
    await screenshot('empty-folder-rollbacks-welcome', { waitForText: 'this folder holds none, so there is nothing to roll back here' });
    assert.deepStrictEqual(await api.trees.campaigns.getChildren(), []);
  });
});
