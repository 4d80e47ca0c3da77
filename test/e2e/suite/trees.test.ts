import * as assert from 'assert';
import { readFileSync, rmSync, writeFileSync } from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { Api, cli, description, fixture, label, Node, readyInView, textOf, walk, waitForTree } from './fixture';
import { screenshot } from './screenshot';

/** The source runTests.ts wrote into each repo before the campaign renamed `logger` to `log`. */
const original = (name: string) => `import { logger } from './logger';\n\nexport function main(): void {\n  logger.info('${name} starts');\n}\n`;

interface OpenedDiff {
  left: vscode.Uri;
  right: vscode.Uri;
  title: string;
}

/** Clicks a file node: runs the command its tree item carries, as VS Code does. */
async function click(api: Api, tree: 'campaigns' | 'snapshots', node: Node): Promise<OpenedDiff> {
  const command = api.trees[tree].getTreeItem(node).command;
  assert.ok(command, `${label(api.trees[tree], node)} has no click command`);
  return (await vscode.commands.executeCommand(command.command, ...(command.arguments ?? []))) as OpenedDiff;
}

function activeDiff(): vscode.TabInputTextDiff {
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  assert.ok(input instanceof vscode.TabInputTextDiff, 'the active tab is not a diff editor');
  return input;
}

describe('Tree views', function () {
  this.timeout(60_000);
  let api: Api;
  const f = fixture();

  before(async () => {
    api = await readyInView();
  });

  it('Campaigns: campaign → steps → repos → files, with counts', async () => {
    const t = api.trees.campaigns;
    const campaign = await walk(t, f.campaign.name);
    assert.match(description(t, campaign), /active · 3 steps · 3 repos/);
    const steps = await t.getChildren(campaign);
    assert.deepStrictEqual(
      steps.slice(0, 2).map((s) => label(t, s)),
      ['Step 1: rename logger to log', 'Step 2: new logo'],
    );
    assert.match(label(t, steps[2]), /^Step 3: node -e require\('fs'\)\.appendFileSync/);
    assert.match(description(t, steps[0]), /^\+\d+ −\d+ · 5 files · 3 repos/);
    const repos = await t.getChildren(steps[0]);
    assert.deepStrictEqual(
      repos.map((r) => label(t, r)),
      ['alpha', 'beta', 'gamma'],
    );
    const betaFiles = await t.getChildren(repos[1]);
    assert.deepStrictEqual(betaFiles.map((n) => `${label(t, n)} ${description(t, n)}`).sort(), ['index.ts src · +2 −2', 'old.txt +0 −1 · deleted']);
    await api.views.campaigns.reveal(repos[0], { expand: true, select: false });
    await api.views.campaigns.reveal(steps[0], { expand: true, select: true });
    await screenshot('tree-campaigns', { waitForText: 'Step 1: rename logger to log' });
  });

  it('Snapshots: snapshot → repos → the files that differ from now', async () => {
    const t = api.trees.snapshots;
    const snapshot = await walk(t, 'Your snapshots', 'before the codemod');
    const alpha = await walk(t, 'Your snapshots', 'before the codemod', 'alpha');
    // the repo's "N files differ" arrives when the background comparison answers
    const desc = await waitForTree(t, async () => {
      const d = description(t, alpha);
      return /files? differ/.test(d) ? d : undefined;
    });
    assert.match(desc, /main [0-9a-f]{8} · 3 files differ/);
    const files = await t.getChildren(alpha);
    assert.deepStrictEqual(files.map((n) => label(t, n)).sort(), ['README.md', 'index.ts', 'logo.bin']);
    const gamma = await walk(t, 'Your snapshots', 'before the codemod', 'gamma');
    const gammaFiles = await t.getChildren(gamma);
    assert.deepStrictEqual(gammaFiles.map((n) => `${label(t, n)} ${description(t, n)}`).sort(), [
      'NOTES.md +0 −1 · new since',
      'README.md +0 −2 · changed since',
      'index.ts src · +2 −2 · changed since',
      'log.ts src · +0 −1 · new since',
    ]);
    await api.views.snapshots.reveal(alpha, { expand: true, select: false });
    await api.views.snapshots.reveal(snapshot, { expand: true, select: true });
    await screenshot('tree-snapshots', { waitForText: '3 files differ' });
  });

  it('shows a snapshot made with the CLI while VS Code is open, without a refresh', async () => {
    const t = api.trees.snapshots;
    // a state no snapshot holds yet (the same states give the same snapshot, whatever its message)
    const extra = path.join(f.repos.beta, 'LIVE.md');
    writeFileSync(extra, 'written while VS Code is open\n');
    try {
      const made = cli('snapshot', 'create', '--root', f.workspace, '-m', 'made while open') as { id: string };
      const node = await waitForTree(t, async () => (await t.getChildren(await walk(t, 'Your snapshots'))).find((n) => label(t, n) === 'made while open'));
      assert.strictEqual(node.snapshot, made.id);
      await screenshot('tree-snapshots-live', { waitForText: 'made while open' });
    } finally {
      rmSync(extra);
    }
  });

  it('a campaign file opens the diff editor: baseline ↔ step 1, the repo named, with the right bytes', async () => {
    const t = api.trees.campaigns;
    const file = await walk(t, f.campaign.name, /^Step 1:/, 'alpha', 'index.ts');
    const opened = await click(api, 'campaigns', file);
    assert.strictEqual(opened.title, 'alpha/src/index.ts (baseline ↔ step 1)');
    const tab = activeDiff();
    assert.strictEqual(tab.original.toString(), opened.left.toString());
    assert.strictEqual(tab.modified.toString(), opened.right.toString());
    assert.strictEqual(await textOf(tab.original), original('alpha'));
    assert.strictEqual(await textOf(tab.modified), original('alpha').replace(/logger/g, 'log'));
    await screenshot('diff-campaign-step', { waitForText: 'alpha/src/index.ts (baseline ↔ step 1)' });
  });

  it('a snapshot file opens now (on disk) ↔ the snapshot version', async () => {
    const t = api.trees.snapshots;
    const file = await walk(t, 'Your snapshots', 'before the codemod', 'alpha', 'index.ts');
    const opened = await click(api, 'snapshots', file);
    const short = f.snapshot.slice(0, 'snap_'.length + 8);
    assert.strictEqual(opened.title, `alpha/src/index.ts (now ↔ ${short})`);
    const tab = activeDiff();
    assert.strictEqual(tab.original.scheme, 'file');
    assert.strictEqual(tab.original.fsPath, path.join(f.repos.alpha, 'src', 'index.ts'));
    assert.strictEqual(await textOf(tab.original), readFileSync(path.join(f.repos.alpha, 'src', 'index.ts'), 'utf8'));
    assert.strictEqual(await textOf(tab.modified), original('alpha'));
    await screenshot('diff-snapshot', { waitForText: `alpha/src/index.ts (now ↔ ${short})` });
  });

  it('added, deleted and binary files say so: an empty side, the title, a placeholder', async () => {
    const t = api.trees.campaigns;
    const added = await click(api, 'campaigns', await walk(t, f.campaign.name, /^Step 1:/, 'gamma', 'log.ts'));
    assert.strictEqual(added.title, 'gamma/src/log.ts (baseline ↔ step 1) · added');
    assert.strictEqual(await textOf(added.left), '');
    assert.strictEqual(await textOf(added.right), 'export const log = console;\n');
    const deleted = await click(api, 'campaigns', await walk(t, f.campaign.name, /^Step 1:/, 'beta', 'old.txt'));
    assert.match(deleted.title, /· deleted$/);
    assert.strictEqual(await textOf(deleted.left), 'to be deleted by the campaign\n');
    assert.strictEqual(await textOf(deleted.right), '');
    const binary = await click(api, 'campaigns', await walk(t, f.campaign.name, /^Step 2:/, 'alpha', 'logo.bin'));
    assert.match(binary.title, /· binary$/);
    assert.match(await textOf(binary.left), /^Binary file, 8 bytes \(blob [0-9a-f]{10}\): not shown as text\.\n$/);
    assert.match(await textOf(binary.right), /^Binary file, 7 bytes/);
    await screenshot('diff-binary', { waitForText: 'not shown as text' });
  });
});
