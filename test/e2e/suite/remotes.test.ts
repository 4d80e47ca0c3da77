// Issue 22 in the real VS Code: the preview says what of the campaign is on the remotes, offers to roll
// it back there too (a choice per repo and remote), says what the run will push once chosen, and the run
// pushes exactly that: the chosen remote gets its revert commit, the other is left as it was. Two repos
// with a bare remote each (outside the workspace) and a campaign of their own, removed afterwards.
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import { fixture, ready } from './fixture';
import { PanelHandle, Rendered, waitForTab } from './panels';
import { cli, git, gitEnv, write } from './repos';
import { screenshot } from './screenshot';

type Shown = Rendered & { remotes?: string[]; pushes?: string[] };

describe('a campaign that pushed: the preview offers its remote rollback (issue 22)', function () {
  this.timeout(120_000);
  let root: string;
  let remotesDir: string;
  const repos = { alpha: '', beta: '' };
  const bares = { alpha: '', beta: '' };
  let campaign: string;
  let baseline: string;
  const store = () => fixture().store;
  const bareGit = (bare: string, ...args: string[]) => execFileSync('git', args, { cwd: bare, env: gitEnv, encoding: 'utf8' }).trim();

  before(async () => {
    await ready();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    root = path.join(fixture().workspace, 'remote-repos');
    rmSync(root, { recursive: true, force: true });
    remotesDir = mkdtempSync(path.join(os.tmpdir(), 'cc-e2e-remotes-'));
    for (const name of Object.keys(repos) as (keyof typeof repos)[]) {
      const repo = (repos[name] = path.join(root, name));
      const bare = (bares[name] = path.join(remotesDir, `${name}.git`));
      write(path.join(repo, 'a.txt'), 'v1\n');
      git(repo, 'init', '-q', '-b', 'main');
      // the revert commit is made by the server with the repo's own identity, as any commit of the user's
      git(repo, 'config', 'user.name', 'e2e');
      git(repo, 'config', 'user.email', 'e2e@example.com');
      git(repo, 'add', '.');
      git(repo, 'commit', '-q', '-m', 'initial');
      execFileSync('git', ['init', '-q', '--bare', '-b', 'main', bare], { env: gitEnv });
      git(repo, 'remote', 'add', 'origin', `file://${bare}`);
      git(repo, 'push', '-q', '-u', 'origin', 'main');
    }
    baseline = git(repos.alpha, 'rev-parse', 'HEAD').trim();
    campaign = cli('campaign', 'start', 'remote-e2e', ...Object.values(repos).flatMap((r) => ['--root', r])).id as string;
    cli('campaign', 'run', campaign, '--', 'sh', '-c', 'echo v2 > a.txt && git commit -qam bump && git push -q origin main');
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    rmSync(root, { recursive: true, force: true });
    rmSync(remotesDir, { recursive: true, force: true });
    rmSync(path.join(store(), 'campaigns', `${campaign}.json`), { force: true });
    rmSync(path.join(store(), 'campaigns', campaign), { recursive: true, force: true });
    for (const f of readdirSync(path.join(store(), 'snapshots')).filter((n) => n.endsWith('.json') && !n.startsWith('.'))) {
      const manifest = JSON.parse(readFileSync(path.join(store(), 'snapshots', f), 'utf8')) as { campaign?: string };
      if (manifest.campaign === campaign) rmSync(path.join(store(), 'snapshots', f));
    }
  });

  it('the one-click confirmation says it is local and offers "Preview With Remotes…": the preview opens with every such remote chosen', async () => {
    type Words = { detail: string; buttons: string[] };
    const words = (await vscode.commands.executeCommand('codecontext.rollback', { campaign }, { dryRun: true })) as Words;
    assert.match(
      words.detail,
      /On the remotes \(this rollback is local; "Preview With Remotes…" rolls them back too\):\n• alpha: origin\/main still has 1 campaign commit/,
    );
    assert.deepStrictEqual(words.buttons, ['Roll Back', 'Preview…', 'Preview With Remotes…']);
    const api = await ready();
    const asked = api.answerConfirmations(() => 'Preview With Remotes…');
    try {
      await vscode.commands.executeCommand('codecontext.rollback', { campaign });
      assert.strictEqual(asked.length, 1, 'one confirmation');
    } finally {
      api.answerConfirmations(undefined);
    }
    // the button opened the preview (its tab comes a moment after the command returns): its handle, as a test reaches it
    await waitForTab(
      () => vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.label === 'Rollback Preview: remote-e2e baseline'),
      () => 'no preview tab',
    );
    // the same target as the button's (its mode named), so the panel it opened is the one revealed
    const preview = (await vscode.commands.executeCommand<PanelHandle>('codecontext.previewRollback', { campaign, mode: 'restore' }))!;
    const shown = (await preview.waitFor((s) => ((s as Shown).pushes ?? []).length === 2, 'both remotes chosen')) as Shown;
    assert.deepStrictEqual(shown.pushes, [
      'alpha: push a revert commit on origin/main undoing 1 campaign commit',
      'beta: push a revert commit on origin/main undoing 1 campaign commit',
    ]);
    assert.strictEqual(shown.runLabel, 'Roll Back 2 Files in 2 Repos and 2 Remotes');
    await screenshot('remotes-preview-all-chosen', { waitForText: 'Rollback Preview: remote-e2e' });
    // the next test starts from the plan as the user first sees it
    await preview.press('chooseRemote', `${repos.alpha}\norigin`);
    await preview.press('chooseRemote', `${repos.beta}\norigin`);
    await preview.waitFor((s) => ((s as Shown).pushes ?? []).length === 0, 'no remote chosen');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('names what the remotes hold, offers the remote rollback per repo and remote, lists the pushes once chosen, and the run pushes only those', async () => {
    const preview = (await vscode.commands.executeCommand<PanelHandle>('codecontext.previewRollback', { campaign }))!;
    let shown = (await preview.waitForStatus('Plan ready')) as Shown;
    assert.ok(
      shown.remotes?.some((l) => /^alpha: origin\/main still has 1 campaign commit .*the next pull brings it back$/.test(l)),
      `the remotes' facts: ${shown.remotes?.join(' | ')}`,
    );
    assert.deepStrictEqual(shown.pushes ?? [], [], 'local only until the user chooses');
    assert.ok(shown.actions.includes('chooseRemote'), `the choice is offered: ${shown.actions.join(', ')}`);

    await preview.press('chooseRemote', `${repos.alpha}\norigin`);
    shown = (await preview.waitFor((s) => ((s as Shown).pushes ?? []).length > 0, 'the pushes of the chosen remote')) as Shown;
    assert.deepStrictEqual(shown.pushes, ['alpha: push a revert commit on origin/main undoing 1 campaign commit']);
    assert.ok(
      shown.remotes?.some((l) => l.startsWith('beta: origin/main still has 1 campaign commit')),
      'the remote not chosen still says what a local rollback leaves',
    );
    assert.ok(shown.actions.includes('rewrite'), 'and revert or rewrite is offered once a remote is chosen');
    assert.strictEqual(shown.runLabel, 'Roll Back 2 Files in 2 Repos and 1 Remote');
    await screenshot('remotes-preview-chosen', { waitForText: 'Rollback Preview: remote-e2e' });

    const betaBefore = bareGit(bares.beta, 'rev-parse', 'main');
    await preview.press('run');
    const done = await preview.waitForStatus(/committed|failed|ended|refused|stopped/);
    assert.match(done.status, /Rollback rb_\w+ committed: 2 repos rolled back to remote-e2e baseline, and on 1 remote too \(origin of alpha\)\./);
    const main = bareGit(bares.alpha, 'rev-parse', 'main');
    assert.strictEqual(bareGit(bares.alpha, 'rev-parse', `${main}^{tree}`), bareGit(bares.alpha, 'rev-parse', `${baseline}^{tree}`), 'alpha: the target tree');
    assert.match(bareGit(bares.alpha, 'log', '-1', '--format=%s', main), /^Revert campaign camp_\w+ on main$/);
    assert.strictEqual(bareGit(bares.beta, 'rev-parse', 'main'), betaBefore, 'beta was not chosen: its remote is as it was');
    await screenshot('remotes-preview-done', { waitForText: 'Rollback Preview: remote-e2e' });
  });
});
