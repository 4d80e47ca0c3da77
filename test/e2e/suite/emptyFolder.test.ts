// The second session of runTests.ts: VS Code opened on a folder without any git repository, sharing the first
// session's store. The CodeContext views say there is nothing here at once, before the user types anything,
// and the other folder's work stays out of this window until "Show All Campaigns" (issue 25, item 3).
import * as assert from 'assert';
import * as vscode from 'vscode';
import { Confirmation, description, fixture, label, ready, walk } from './fixture';
import { screenshot } from './screenshot';

function run<T>(command: string, ...args: unknown[]): Promise<T> {
  return vscode.commands.executeCommand(`codecontext.${command}`, ...args) as Promise<T>;
}

describe('an empty folder (issue 15, point 23; issue 25, item 3)', () => {
  it('the welcome views say there is no git repository under the folder, with a way to open another', async () => {
    const api = await ready();
    assert.strictEqual(await api.noRepos(), true, 'the codecontext.noRepos context key');
    await vscode.commands.executeCommand('workbench.view.extension.codecontext');
    await screenshot('empty-folder-welcome', { waitForText: 'No git repositories under the workspace folders' });
    // the Rollbacks view offers no rollback where there is nothing to roll back
    await screenshot('empty-folder-rollbacks-welcome', { waitForText: 'this folder holds none, so there is nothing to roll back here' });
    assert.deepStrictEqual(await api.trees.campaigns.getChildren(), []);
  });

  it("sees only its own folder's work: no other folder's campaign, snapshot or rollback in the views, the status bar or the picker", async () => {
    const api = await ready();
    const f = fixture();
    assert.deepStrictEqual(await api.trees.campaigns.getChildren(), []);
    assert.deepStrictEqual(await api.trees.rollbacks.getChildren(), []);
    const snapshots = await api.trees.snapshots.getChildren();
    assert.deepStrictEqual(
      snapshots.map((n) => label(api.trees.snapshots, n)),
      [],
      'the Snapshots view lists another folder’s snapshots',
    );
    assert.strictEqual(await api.statusBarCampaign(), undefined, 'the status bar shows another folder’s campaign');
    assert.strictEqual(await run('rollbackToSnapshot', undefined, { dryRun: true }), undefined, 'the picker offered another folder’s snapshot');
    await screenshot('empty-folder-scoped', { waitForText: 'no snapshot holds a repo of the open folders' });
    await vscode.commands.executeCommand('notifications.clearAll');

    // "Show All Campaigns" reaches the rest of the store; a rollback there names each repo's path, Preview first
    await run('showAllCampaigns');
    try {
      const all = await api.trees.campaigns.getChildren();
      assert.ok(
        all.some((n) => label(api.trees.campaigns, n) === f.campaign.name || description(api.trees.campaigns, n).includes(f.campaign.name)),
        `Show All Campaigns does not list ${f.campaign.name}`,
      );
      const shown = await run<Confirmation>('rollbackToSnapshot', f.snapshot, { dryRun: true });
      assert.strictEqual(shown.defaultButton, 'Preview…');
      for (const repo of Object.values(f.repos)) assert.ok(shown.detail.includes(repo), `the dialog does not name ${repo}`);
      assert.match(shown.detail, /outside this window's folders/);
      // each repo outside this window's folders is labelled with its path
      const t = api.trees.snapshots;
      const snapshot = await walk(t, 'Your snapshots', 'before the codemod');
      const repos = (await t.getChildren(snapshot)).map((n) => label(t, n));
      assert.ok(
        repos.length > 0 && repos.every((l) => l.includes(`(${f.workspace}`)),
        `the repos of a snapshot outside the folders are not labelled with their paths: ${repos.join(', ')}`,
      );
      await screenshot('empty-folder-show-all', { waitForText: f.campaign.name });
    } finally {
      await run('showOpenFoldersOnly');
    }
    assert.deepStrictEqual(await api.trees.campaigns.getChildren(), []);
  });
});
