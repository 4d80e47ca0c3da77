// Reviewing a campaign's history as the GitHub Pull Requests extension reviews a pull request: the
// Review tree (the step's files by repo, a Viewed checkbox each, "N of M viewed"), diff titles that
// name the repo, the history opening at the first step not yet reviewed, a failed step that stays
// failed once reviewed, and review comments left in the diff editor through the comments API.
// Three repos of our own, each with an index.js (the titles must tell them apart), and a campaign of
// three steps on them made with the CLI; removed afterwards.
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import { readFileSync, readdirSync, rmSync } from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { Node, Tree, description, fixture, label, ready, textOf, waitForTree } from './fixture';
import { PanelHandle, diffTab } from './panels';
import { gitAs, gitEnv, write } from './repos';
import { screenshot } from './screenshot';

/** The extension's `exports.review` (client/src/extension.ts). */
interface ReviewApi {
  tree: Tree;
  view: vscode.TreeView<Node>;
  controller: vscode.CommentController;
  comments: { threadsOf(uri: vscode.Uri): readonly vscode.CommentThread[] };
  focus: { clear(): void };
}
interface OpenedDiff {
  left: vscode.Uri;
  right: vscode.Uri;
  title: string;
}

const git = gitAs('Rita Reviewer', 'rita@example.com');

/** The CLI on the test store; a failed command's step is recorded all the same (exit 1), so the status is returned, not thrown. */
function cli(...args: string[]): { status: number; stdout: string; stderr: string } {
  const f = fixture();
  const r = spawnSync(process.execPath, [f.cli, '--store', f.store, ...args], { cwd: f.workspace, encoding: 'utf8', env: gitEnv });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Resolves at the tree's next change event, or after `ms` (a tree with nothing to redraw stays quiet). */
function nextChange(tree: Tree, ms = 5000): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      listening.dispose();
      resolve();
    }, ms);
    const listening = tree.onDidChangeTreeData!(() => {
      clearTimeout(timer);
      listening.dispose();
      resolve();
    });
  });
}

describe('history review (issue 15)', function () {
  this.timeout(120_000);
  let review: ReviewApi;
  let trees: { campaigns: Tree; snapshots: Tree };
  let root: string;
  const repos: Record<'accepts' | 'bytes' | 'cookie', string> = { accepts: '', bytes: '', cookie: '' };
  let campaign: string;
  let history: PanelHandle | undefined;

  const openHistory = async () => (history = (await vscode.commands.executeCommand<PanelHandle>('codecontext.showCampaignHistory', campaign))!);
  const roots = () => review.tree.getChildren();
  const files = async () => (await Promise.all((await roots()).map((r) => review.tree.getChildren(r)))).flat();
  const fileNode = async (repo: string, file: string) => {
    const found = (await files()).find((n) => (n.record as { repo: string; path: string }).repo === repo && (n.record as { path: string }).path === file);
    assert.ok(found, `no ${file} of ${repo} in the review tree`);
    return found;
  };
  const checked = (n: Node) => {
    const state = review.tree.getTreeItem(n).checkboxState;
    return (typeof state === 'object' ? state.state : state) === vscode.TreeItemCheckboxState.Checked;
  };
  /** Waits until the review tree's view says `text` (its description: the progress count). */
  const progress = (text: string) => waitForTree(review.tree, async () => ((await roots(), review.view.description) === text ? true : undefined));

  before(async () => {
    const api = (await ready()) as unknown as { review: ReviewApi; trees: { campaigns: Tree; snapshots: Tree } };
    review = api.review;
    trees = api.trees;
    // a clean workbench for the pictures: what earlier suites left open or announced is put away
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand('notifications.clearAll');
    await vscode.commands.executeCommand('codecontext.review.focus'); // the Review view in the CodeContext container
    root = path.join(fixture().workspace, 'review-repos');
    rmSync(root, { recursive: true, force: true });
    for (const name of Object.keys(repos) as (keyof typeof repos)[]) {
      const repo = (repos[name] = path.join(root, name));
      write(path.join(repo, 'index.js'), `module.exports = function ${name}(req) {\n  return req.headers.accept;\n};\n`);
      write(path.join(repo, 'README.md'), `# ${name}\n`);
      git(repo, 'init', '-q', '-b', 'main');
      git(repo, 'config', 'user.name', 'Rita Reviewer'); // who a comment is by: the repo's git user
      git(repo, 'add', '.');
      git(repo, 'commit', '-q', '-m', 'initial');
    }
    const started = JSON.parse(cli('--json', 'campaign', 'start', 'review-accepts', ...Object.values(repos).flatMap((r) => ['--root', r])).stdout) as {
      id: string;
      repos: string[];
    };
    assert.deepStrictEqual(started.repos.sort(), Object.values(repos).sort());
    campaign = started.id;
    for (const repo of Object.values(repos))
      write(path.join(repo, 'index.js'), readFileSync(path.join(repo, 'index.js'), 'utf8').replace('req.headers.accept', "req.headers.accept || '*/*'"));
    write(path.join(repos.accepts, 'lib', 'types.js'), 'exports.types = [];\n');
    assert.strictEqual(cli('campaign', 'checkpoint', campaign, '-m', 'default accept').status, 0);
    // step 2: a command that changes every repo and fails in bytes
    const script = "require('fs').writeFileSync('CHANGELOG.md', '2.0.0\\n'); process.exit(process.cwd().endsWith('bytes') ? 3 : 0)";
    const run = cli('campaign', 'run', campaign, '-m', 'changelog', '--', process.execPath, '-e', script);
    assert.strictEqual(run.status, 1, `the run fails in bytes: ${run.stdout}${run.stderr}`);
    write(path.join(repos.cookie, 'README.md'), '# cookie\n\nParses cookies.\n');
    assert.strictEqual(cli('campaign', 'checkpoint', campaign, '-m', 'docs').status, 0);
  });

  // The fixture as it was for the suites after this one: no panel, no step under review, the Review view
  // hidden again, and neither our repos nor our campaign and its snapshots in the store.
  after(async () => {
    history?.panel.dispose();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand('workbench.action.closePanel');
    review.focus.clear();
    await vscode.commands.executeCommand('codecontext.review.removeView');
    rmSync(root, { recursive: true, force: true });
    const store = fixture().store;
    // the trees redraw once the store's change reaches them: waited for here, not in the next suite's expand
    const redrawn = Promise.all([trees.campaigns, trees.snapshots].map((t) => nextChange(t)));
    if (campaign) {
      rmSync(path.join(store, 'campaigns', `${campaign}.json`), { force: true });
      rmSync(path.join(store, 'campaigns', campaign), { recursive: true, force: true });
      for (const f of readdirSync(path.join(store, 'snapshots')).filter((n) => n.endsWith('.json') && !n.startsWith('.'))) {
        const manifest = JSON.parse(readFileSync(path.join(store, 'snapshots', f), 'utf8')) as { campaign?: string };
        if (manifest.campaign === campaign) rmSync(path.join(store, 'snapshots', f));
      }
    }
    await redrawn;
    await Promise.all([trees.campaigns.getChildren(), trees.snapshots.getChildren()]);
  });

  it('opens the history at the first step not yet reviewed, and the review tree shows that step by repo', async () => {
    await openHistory();
    await history!.waitForStatus('Step 1 of 3');
    await progress('0 of 4 viewed');
    assert.match(review.view.message ?? '', /^Step 1 of 3 of review-accepts: default accept · 0 of 4 files viewed$/);
    assert.deepStrictEqual(
      (await roots()).map((n) => label(review.tree, n)),
      ['accepts', 'bytes', 'cookie'],
    );
    assert.deepStrictEqual(
      (await files()).map((n) => `${label(review.tree, n)} ${description(review.tree, n)}`),
      ['index.js +1 −1', 'types.js lib · +1 −0 · added', 'index.js +1 −1', 'index.js +1 −1'],
    );
    await history!.press('reviewed');
    await history!.waitForStatus('1 of 3 steps reviewed');
    assert.match(review.view.description ?? '', /0 of 4 viewed · step reviewed/);
    history!.panel.dispose();
    await openHistory();
    await history!.waitForStatus('Step 2 of 3');
    await progress('0 of 3 viewed');
    assert.match(review.view.message ?? '', /^Step 2 of 3 of review-accepts: changelog · 0 of 3 files viewed · ⚠ failed in bytes \(exit 3\)$/);
  });

  it('a failed step keeps its failure badge once it is marked reviewed', async () => {
    let shown = await history!.waitForStatus('Step 2 of 3');
    assert.match(shown.badges?.[1] ?? '', /^Step 2: changelog, 3 files, failed in 1 repo$/);
    await history!.press('reviewed');
    shown = await history!.waitForStatus('2 of 3 steps reviewed');
    assert.match(shown.badges?.[1] ?? '', /^Step 2: changelog, 3 files, failed in 1 repo, reviewed$/);
    assert.match(shown.badges?.[0] ?? '', /, reviewed$/);
    assert.match(review.view.message ?? '', /⚠ failed in bytes \(exit 3\)/);
    const bytes = (await roots()).find((n) => label(review.tree, n) === 'bytes')!;
    assert.match(description(review.tree, bytes), /⚠ exit 3/);
    await screenshot('review-failed-step-reviewed', { waitForText: '⚠ failed in bytes' });
  });

  it('marks files Viewed in the review tree with a progress count, and opens diffs named by repo beside the history', async () => {
    await vscode.commands.executeCommand('codecontext.reviewStep', { campaign, step: 1 });
    await history!.waitForStatus('Step 1 of 3'); // the panel follows the tree
    await progress('0 of 4 viewed · step reviewed');
    for (const repo of [repos.accepts, repos.bytes]) await vscode.commands.executeCommand('codecontext.review.markViewed', await fileNode(repo, 'index.js'));
    await progress('2 of 4 viewed · step reviewed');
    const accepts = (await roots())[0];
    assert.strictEqual(description(review.tree, accepts), '1 of 2 files viewed');
    assert.deepStrictEqual((await files()).map(checked), [true, false, true, false]);
    // a repo's box views all its files
    await vscode.commands.executeCommand('codecontext.review.markViewed', accepts);
    await progress('3 of 4 viewed · step reviewed');
    assert.ok(checked((await roots())[0]), 'accepts is ticked once all its files are');

    // clicking a file: its diff, titled with its repo, beside the history panel, which stays in view
    const item = review.tree.getTreeItem(await fileNode(repos.bytes, 'index.js'));
    const opened = (await vscode.commands.executeCommand(item.command!.command, ...(item.command!.arguments ?? []))) as OpenedDiff;
    assert.strictEqual(opened.title, 'bytes/index.js (baseline ↔ step 1)');
    const tab = await diffTab(opened.title);
    assert.ok(history!.panel.visible, 'the history panel is still in view');
    assert.notStrictEqual(tab.group.viewColumn, history!.panel.viewColumn, 'the diff opened beside the panel, not over it');
    assert.strictEqual(
      await textOf((tab.input as vscode.TabInputTextDiff).modified),
      "module.exports = function bytes(req) {\n  return req.headers.accept || '*/*';\n};\n",
    );
    const other = (await vscode.commands.executeCommand('codecontext.review.openDiff', await fileNode(repos.accepts, 'index.js'))) as OpenedDiff;
    assert.strictEqual(other.title, 'accepts/index.js (baseline ↔ step 1)');
    await diffTab(other.title);
    await vscode.commands.executeCommand('codecontext.review.focus');
    await screenshot('review-tree-viewed', { waitForText: '3 of 4 files viewed' });

    // the marks are the workspace's: another step and back, or the panel closed, keep them
    await vscode.commands.executeCommand('codecontext.review.nextStep');
    await history!.waitForStatus('Step 2 of 3');
    await progress('0 of 3 viewed · step reviewed');
    const changelog = (await vscode.commands.executeCommand('codecontext.review.openDiff', await fileNode(repos.cookie, 'CHANGELOG.md'))) as OpenedDiff;
    assert.strictEqual(changelog.title, 'cookie/CHANGELOG.md (step 1 ↔ step 2) · added');
    history!.panel.dispose();
    await vscode.commands.executeCommand('codecontext.review.previousStep');
    await progress('3 of 4 viewed · step reviewed');
    await vscode.commands.executeCommand('codecontext.review.markUnviewed', (await roots())[0]);
    await progress('1 of 4 viewed · step reviewed');
    // the view's toolbar marks the step itself
    await vscode.commands.executeCommand('codecontext.review.unmarkStepReviewed');
    await progress('1 of 4 viewed');
    await vscode.commands.executeCommand('codecontext.review.toggleStepReviewed');
    await progress('1 of 4 viewed · step reviewed');
  });

  it('the history panel draws a step’s diff from the server: the text `campaign diff` prints', async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors'); // one group for the panel, the diffs beside it
    await openHistory();
    await history!.waitForStatus('Step 3 of 3'); // steps 1 and 2 are reviewed
    await history!.press('key:Home');
    await history!.waitForStatus('Step 1 of 3');
    await history!.press('toggleDiff', `${repos.cookie}\nindex.js`);
    await history!.waitFor((s) => s.diffs === 1, 'the inline diff');
    const printed = cli('campaign', 'diff', campaign, '--step', '1');
    assert.match(printed.stdout, /^diff --git a\/cookie\/index\.js b\/cookie\/index\.js$/m);
  });

  it('a review comment left on a line of a step’s diff is kept with the campaign and shown in the diff, the tree and campaign log', async () => {
    const opened = (await vscode.commands.executeCommand('codecontext.review.openDiff', await fileNode(repos.cookie, 'index.js'))) as OpenedDiff;
    assert.strictEqual(opened.title, 'cookie/index.js (baseline ↔ step 1)');
    await diffTab(opened.title);
    // what VS Code does when the reviewer clicks the gutter's "+" on line 2 and presses "Add Comment"
    const thread = review.controller.createCommentThread(opened.right, new vscode.Range(1, 0, 1, 0), []);
    const text = 'Should cookie fall back to */* too? The old callers expect undefined.';
    const saved = (await vscode.commands.executeCommand('codecontext.review.addComment', { thread, text })) as { id: string; line: number; author: string };
    assert.ok(saved, 'the comment was saved');
    assert.strictEqual(saved.line, 2);
    assert.strictEqual(saved.author, 'Rita Reviewer', "the repo's git user.name");

    const log = cli('campaign', 'log', campaign);
    assert.match(log.stdout, /1 review comment:\n {6}cookie\/index\.js:2 {2}Rita Reviewer, .*: Should cookie fall back to \*\/\* too\?/);
    const node = await waitForTree(review.tree, async () => {
      const n = await fileNode(repos.cookie, 'index.js');
      return description(review.tree, n).includes('1 comment') ? n : undefined;
    });
    const [comment] = await review.tree.getChildren(node);
    assert.strictEqual(label(review.tree, comment), text);
    assert.strictEqual(description(review.tree, comment), 'Rita Reviewer · line 2');
    // the store's change redraws the thread from the store: one thread on line 2 with the note
    const drawn = review.comments.threadsOf(opened.right);
    assert.deepStrictEqual(
      drawn.map((t) => [t.range?.start.line, t.comments.length]),
      [[1, 1]],
    );
    await review.view.reveal(comment, { select: false, focus: true, expand: true });
    await screenshot('review-comment', { waitForText: 'Rita Reviewer · line 2' });
  });
});
