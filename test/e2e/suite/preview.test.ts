// Issue 15 in the rollback preview, in the real VS Code: the plan follows the repos on disk (and says
// when it is stale), drift is told from the campaign's lines in the tree, both diff layouts and the
// run bar, Run waits for a choice about drift, waves explain themselves, names not ids, a repo that
// blocks the plan can be left out, exact file selections, keyboard and high-contrast use.
// Driven through the panel's handle (press / rendered / waitFor), on repos and a campaign of its own.
import * as assert from 'assert';
import { readFileSync, rmSync } from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { Api, fixture, ready } from './fixture';
import { PanelHandle, Rendered } from './panels';
import { cli, git, write } from './repos';
import { screenshot } from './screenshot';

const read = (file: string) => readFileSync(file, 'utf8');

describe('preview panel (issue 15)', function () {
  this.timeout(120_000);
  let api: Api;
  let root: string;
  let app: string;
  let lib: string;
  let idle: string;
  let campaign: string;
  let preview: PanelHandle;
  const baseline: Record<string, string> = {};
  const campaigned: Record<string, string> = {};

  before(async () => {
    api = await ready();
    root = path.join(fixture().workspace, 'preview-repos');
    rmSync(root, { recursive: true, force: true });
    [app, lib, idle] = ['app', 'lib', 'idle'].map((n) => path.join(root, n));
    // app depends on lib (its package.json names lib's package): app is rolled back first
    write(path.join(lib, 'package.json'), '{ "name": "lib-pkg", "version": "1.0.0" }\n');
    write(path.join(app, 'package.json'), '{ "name": "app-pkg", "dependencies": { "lib-pkg": "1.0.0" } }\n');
    for (const repo of [app, lib]) write(path.join(repo, 'index.js'), `const name = '${path.basename(repo)}';\nmodule.exports = name;\n// end\n`);
    write(path.join(lib, 'a*b.ts'), 'export const star = 1;\n');
    write(path.join(lib, 'axb.ts'), 'export const x = 1;\n');
    write(path.join(idle, 'README.md'), '# idle\n');
    for (const repo of [app, lib, idle]) {
      git(repo, 'init', '-q', '-b', 'main');
      git(repo, 'add', '.');
      git(repo, 'commit', '-q', '-m', 'initial');
    }
    const started = cli('campaign', 'start', 'preview-e2e', '--root', app, '--root', lib, '--root', idle);
    campaign = started.id as string;
    for (const f of ['app/index.js', 'lib/index.js', 'lib/a*b.ts', 'lib/axb.ts']) baseline[f] = read(path.join(root, f));
    for (const repo of [app, lib]) write(path.join(repo, 'index.js'), read(path.join(repo, 'index.js')).replace('const name', 'const renamed'));
    write(path.join(lib, 'a*b.ts'), 'export const star = 2;\n');
    write(path.join(lib, 'axb.ts'), 'export const x = 2;\n');
    cli('campaign', 'checkpoint', campaign, '-m', 'rename');
    for (const f of Object.keys(baseline)) campaigned[f] = read(path.join(root, f));
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    rmSync(root, { recursive: true, force: true });
  });

  it('names the campaign, explains the waves, folds the repo with nothing to change, counts only what changes', async () => {
    preview = (await vscode.commands.executeCommand<PanelHandle>('codecontext.previewRollback', { campaign }))!;
    const shown = await preview.waitForStatus('Plan ready');
    assert.strictEqual(preview.panel.title, 'Rollback Preview: preview-e2e baseline');
    assert.deepStrictEqual(shown.repos, ['app', 'lib'], 'idle has nothing to change: not listed among the waves');
    assert.deepStrictEqual(shown.waves, [
      'Wave 1 of 2 — Repos that depend on others go first, before what they depend on.',
      'Wave 2 of 2 — After the repos that depend on these.',
    ]);
    assert.deepStrictEqual(shown.waveNotes, ['app depends on lib, so it is rolled back first.', 'lib waits for app, which depends on it.']);
    assert.strictEqual(shown.runLabel, 'Roll Back 4 Files in 2 Repos');
    assert.match(shown.status, /Plan ready: 4 files in 2 repos change/);
    // issue 24, item 5: the repos planned so far were drawn before the whole plan, first wave first
    const log = shown.statusLog ?? [];
    const first = log.findIndex((l) => /^Planning: [1-3] of 3 repos so far, the first wave first\./.test(l));
    assert.ok(first >= 0 && first < log.findIndex((l) => l.startsWith('Plan ready')), `statuses: ${log.join(' | ')}`);
    // labels name the repo and the file
    assert.ok(shown.rowControls?.includes('Include index.js of app'), `row controls: ${shown.rowControls?.join(' | ')}`);
    assert.ok(shown.rowControls?.includes('Open index.js of lib in the diff editor'));
    await screenshot('preview-waves', { waitForText: 'Rollback Preview: preview-e2e' });
  });

  it('the plan is one tab stop; arrow keys move between rows and within a row', async () => {
    // the rows are one tab stop; the fold of the repos with nothing to change is one more, of its own
    const rowStops = (s: Rendered) => (s.tabStops ?? []).filter((t) => !/already at the target/.test(t));
    let shown = await preview.rendered();
    assert.strictEqual(rowStops(shown).length, 1, `tab stops in the plan: ${shown.tabStops?.join(' | ')}`);
    await preview.press('focusRow', `${app}\nindex.js`);
    shown = await preview.rendered();
    assert.strictEqual(shown.focused, 'Include index.js of app');
    await preview.press('key:ArrowRight');
    assert.match((await preview.rendered()).focused ?? '', /^index\.js of app: show the inverse diff/);
    await preview.press('key:ArrowDown');
    shown = await preview.rendered();
    assert.match(shown.focused ?? '', /^package\.json of app: show|^lib: /, `focus after ArrowDown: ${shown.focused}`);
    assert.deepStrictEqual(rowStops(shown), [shown.focused], 'still one tab stop: the focused control');
  });

  it('edits by hand: the page says its plan is stale, plans again, marks the edits, and Run waits for a choice', async () => {
    for (const repo of [app, lib]) write(path.join(repo, 'index.js'), read(path.join(repo, 'index.js')) + '// typed by hand after the campaign\n');
    let shown = await preview.waitFor((s) => (s.driftMarks ?? []).filter((m) => m === 'your edit, will be lost').length === 2, 'the drift of both files');
    assert.ok(
      shown.statusLog?.some((l) => /^(app|lib|app, lib) changed since this plan was made: planning again…$/.test(l)),
      `the page said its plan was stale before the new one came: ${shown.statusLog?.join(' | ')}`,
    );
    assert.ok(!shown.actions.includes('run'), `Run is disabled while drift is unresolved: ${shown.actions.join(', ')}`);
    assert.match(shown.alert ?? '', /2 edits made after the campaign would be lost: app\/index\.js, lib\/index\.js\./);
    assert.ok(!/--force/.test(shown.alert ?? ''), 'GUI words, not the CLI flag');
    assert.ok(shown.actions.includes('leaveOutDrift') && shown.actions.includes('replay') && shown.actions.includes('force'));

    // the inline diff marks the line typed by hand, and its hunk
    await preview.press('toggleDiff', `${app}\nindex.js`);
    shown = await preview.waitFor((s) => s.diffs === 1 && (s.driftLines ?? 0) > 0, 'the inline diff with its drift line');
    assert.strictEqual(shown.driftLines, 1);
    assert.ok(shown.driftMarks?.includes('holds your edits: they will be lost'), `marks: ${shown.driftMarks?.join(' | ')}`);
    await screenshot('preview-drift', { waitForText: 'Rollback Preview: preview-e2e' });
    await preview.press('layout:split');
    await preview.waitFor((s) => s.diffs === 1 && (s.driftLines ?? 0) === 1, 'the side-by-side diff with its drift line');
    await screenshot('preview-drift-split', { waitForText: 'Rollback Preview: preview-e2e' });
    await preview.press('layout:inline');

    await preview.press('leaveOutDrift');
    shown = await preview.rendered();
    assert.ok(shown.actions.includes('run'), 'leaving the edited files out resolves it');
    assert.strictEqual(shown.runLabel, 'Roll Back the Chosen 2 Files in 1 Repo');
    assert.deepStrictEqual(shown.checked.sort(), ['lib/a*b.ts', 'lib/axb.ts']);
    await preview.press('toggleFile', `${app}\nindex.js`);
    await preview.press('toggleFile', `${lib}\nindex.js`);
    assert.ok(!(await preview.rendered()).actions.includes('run'), 'ticked again: unresolved again');
    await preview.press('force');
    shown = await preview.rendered();
    assert.ok(shown.actions.includes('run'));
    assert.strictEqual(shown.runLabel, 'Roll Back 4 Files in 2 Repos (Overwriting 2 Edits)');

    // replay keeps the edits, and says so
    await preview.press('replay');
    shown = await preview.waitFor((s) => (s.driftMarks ?? []).filter((m) => m === 'your edit, kept').length === 2, 'replay marks the edits kept');
    assert.ok(shown.actions.includes('run'), 'nothing to choose in replay: the edits are kept');
    assert.strictEqual(shown.alert, '');
    // the diff open before the switch stays open (issue 25, item 6), now the replay's
    shown = await preview.waitFor((s) => s.diffs === 1 && (s.driftLines ?? 0) === 1, 'the replay diff with the kept line');
    assert.ok(shown.driftMarks?.includes('holds your edits: kept'), `marks: ${shown.driftMarks?.join(' | ')}`);
    await screenshot('preview-drift-replay', { waitForText: 'Rollback Preview: preview-e2e' });
  });

  it('the edits undone by hand: the page plans again by itself and the drift is gone', async () => {
    for (const repo of [app, lib]) write(path.join(repo, 'index.js'), campaigned[`${path.basename(repo)}/index.js`]);
    const shown = await preview.waitFor((s) => (s.driftMarks ?? []).length === 0 && s.status.includes('Plan ready'), 'a plan without drift');
    assert.ok(shown.actions.includes('run'));
    // issue 25, item 6: the re-plan says what changed, and keeps the diff the user had open
    assert.match(shown.status, /Since the last plan: .*index\.js changed/);
    await preview.waitFor((s) => s.diffs === 1, 'the diff that was open, open again');
  });

  it('a ticked file named a*b.ts rolls back alone: axb.ts is left as it was', async () => {
    await preview.press('mode:restore');
    await preview.waitFor((s) => s.status.includes('Plan ready') && s.files.length === 4, 'the restore plan');
    for (const f of [`${app}\nindex.js`, `${lib}\nindex.js`, `${lib}\naxb.ts`]) await preview.press('toggleFile', f);
    const chosen = await preview.rendered();
    assert.deepStrictEqual(chosen.checked, ['lib/a*b.ts']);
    assert.strictEqual(chosen.runLabel, 'Roll Back the Chosen 1 File in 1 Repo');
    await preview.press('run');
    const done = await preview.waitForStatus(/committed|failed|ended|refused|stopped/);
    assert.match(done.status, /Rollback rb_\w+ committed: 1 repo rolled back to preview-e2e baseline/);
    assert.strictEqual(read(path.join(lib, 'a*b.ts')), baseline['lib/a*b.ts']);
    assert.strictEqual(read(path.join(lib, 'axb.ts')), campaigned['lib/axb.ts'], 'a glob would have taken axb.ts too');
    assert.strictEqual(read(path.join(app, 'index.js')), campaigned['app/index.js']);
    const id = /rb_\w+/.exec(done.status)![0];

    // the Rollbacks tree numbers waves from 1, as the panel and the CLI do
    const tree = api.trees.rollbacks;
    const waitFor = async <T>(f: () => Promise<T | undefined>): Promise<T> => {
      for (let i = 0; i < 100; i++) {
        const v = await f();
        if (v !== undefined) return v;
        await new Promise<void>((resolve) => {
          const d = tree.onDidChangeTreeData!(() => (d.dispose(), resolve()));
          setTimeout(() => (d.dispose(), resolve()), 500);
        });
      }
      throw new Error('the Rollbacks tree never showed the rollback');
    };
    const node = await waitFor(async () => (await tree.getChildren()).find((n) => String(tree.getTreeItem(n).id ?? '').includes(id)));
    const reposNode = (await tree.getChildren(node)).find((n) => n.kind === 'rollbackRepos')!;
    const [repo] = await tree.getChildren(reposNode);
    // lib alone ran (one wave): the tree said "wave 0" where the panel and the CLI say "wave 1"
    assert.match(String(tree.getTreeItem(repo).description), /· wave 1 ·/, 'waves counted from 1');
  });

  it('a repo mid-merge blocks the plan; aborting it brings the plan back by itself; it can be left out', async () => {
    await preview.press('refresh');
    await preview.waitForStatus('Plan ready');
    const startMerge = () => {
      git(lib, 'checkout', '-q', '-b', 'side');
      write(path.join(lib, 'side.txt'), 'side\n');
      git(lib, 'add', 'side.txt');
      git(lib, 'commit', '-q', '-m', 'side');
      git(lib, 'checkout', '-q', 'main');
      git(lib, 'merge', '-q', '--no-ff', '--no-commit', 'side');
    };
    const abortMerge = () => {
      git(lib, 'merge', '--abort');
      git(lib, 'branch', '-q', '-D', 'side');
    };
    startMerge();
    let shown = await preview.waitFor((s) => /lib cannot be rolled back as it is now: .*merge/.test(s.alert ?? ''), 'the blocked view');
    assert.ok(shown.actions.includes('leaveOut'), `actions: ${shown.actions.join(', ')}`);
    await screenshot('preview-blocked', { waitForText: 'Rollback Preview: preview-e2e' });
    // opened again from a tree or the palette: the same panel, and it plans again instead of showing what it showed
    const planned = (s: Rendered) => (s.statusLog ?? []).filter((l) => l.startsWith('Planning the rollback')).length;
    const before = planned(shown);
    const again = await vscode.commands.executeCommand<PanelHandle>('codecontext.previewRollback', { campaign });
    assert.strictEqual(again, preview, 'the open panel is reused');
    await preview.waitFor((s) => planned(s) > before && /lib cannot be rolled back/.test(s.alert ?? ''), 'a fresh plan on reopening');
    abortMerge();
    shown = await preview.waitForStatus('Plan ready');
    assert.deepStrictEqual(shown.repos, ['app', 'lib'], 'the merge is gone: the plan is back, with no old error');

    startMerge();
    await preview.waitFor((s) => /lib cannot be rolled back/.test(s.alert ?? ''), 'blocked again');
    await preview.press('leaveOut', lib);
    shown = await preview.waitForStatus('Plan ready');
    assert.deepStrictEqual(shown.repos, ['app']);
    assert.ok(shown.actions.includes('includeAgain'));
    // issue 25, item 6: once its merge is aborted, a repo left out because it blocked comes back by itself
    abortMerge();
    await preview.waitFor((s) => s.status.includes('Plan ready') && s.repos.length === 2, 'lib back in the plan without Include Again');
  });

  it('in a high-contrast theme the diff rows keep their borders', async () => {
    const config = vscode.workspace.getConfiguration('workbench');
    const before = config.inspect<string>('colorTheme')?.globalValue;
    await preview.press('toggleDiff', `${app}\nindex.js`);
    await preview.waitFor((s) => s.diffs >= 1, 'the inline diff');
    try {
      await config.update('colorTheme', 'Default High Contrast', vscode.ConfigurationTarget.Global);
      await screenshot('preview-high-contrast', { waitForText: 'Rollback Preview: preview-e2e' });
    } finally {
      await config.update('colorTheme', before, vscode.ConfigurationTarget.Global);
    }
    preview.panel.dispose();
  });
});
