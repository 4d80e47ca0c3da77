import * as vscode from 'vscode';
import { activityEmitter } from './activity';
import { registerCommands } from './commands/commandTable';
import { CommandContext } from './commands/context';
import { registerBlobDocuments } from './diff/blobDocuments';
import { onDidChangeRunning, onDidChangeStore, serverClientEmitters, serverPid, startServerClient, stopServerClient, whenRunning } from './serverClient';
import { createCampaignStatus } from './statusBar';
import { trackWorkspaceRepos } from './workspaceRepos';
import { CampaignSummary } from '../../server/src/protocol';
import { Confirmation, answerConfirmations } from './commands/confirm';
import { snapshotPickCompared } from './commands/pickers';
import { ShownProgress, watchProgress } from './request';
import { CampaignBlame } from './blame/campaignBlame';
import { CampaignsView } from './views/campaignsView';
import { RollbacksView } from './views/rollbacksView';
import { SnapshotsView } from './views/snapshotsView';
import { Node, NodeTree } from './views/tree';
import { Panels } from './webviews';
import { ReviewComments } from './review/comments';
import { ReviewFocus } from './review/focus';
import { ReviewView } from './views/reviewView';
import { ReviewedSteps, ViewedFiles } from './webviews/reviewed';
import { registerLanguageModelTools } from './lmTools';

/**
 * Activation: the output channel, the server client, the `codecontext:` documents, the three trees,
 * the commands, the status bar and the webviews. Everything goes into the extension's disposal scope
 * (`context.subscriptions`); the server client keeps its own scope and releases it when it stops.
 */
/**
 * What `activate` returns (the extension's `exports`): the trees' data as VS Code reads it and a way to
 * wait for the server. The e2e tests walk the trees through it; nothing else depends on it.
 */
export interface CodeContextApi {
  trees: { campaigns: NodeTree; snapshots: NodeTree; rollbacks: NodeTree };
  views: { campaigns: vscode.TreeView<Node>; snapshots: vscode.TreeView<Node>; rollbacks: vscode.TreeView<Node> };
  /** The review tree, its view, the comment controller (its threads are what VS Code draws) and the step under review. */
  review: { tree: NodeTree; view: vscode.TreeView<Node>; controller: vscode.CommentController; comments: ReviewComments; focus: ReviewFocus };
  whenRunning(): Promise<void>;
  /** The campaign the status bar shows once its latest update settled. */
  statusBarCampaign(): Promise<CampaignSummary | undefined>;
  /** Answers the modal confirmations (VS Code refuses them in tests) and returns the list of those shown; undefined: show them again. */
  answerConfirmations(answer: ((c: Confirmation) => string | undefined) | undefined): Confirmation[];
  /** Whether the server found no git repository under the workspace folders (the `codecontext.noRepos` context key). */
  noRepos(): Promise<boolean | undefined>;
  /** Starts a list of the progress shown from now on (where, its title, its messages): how many notifications an operation opened. */
  watchProgress(): ShownProgress[];
  /** The server process's id (a test kills it mid-command). */
  serverPid(): number | undefined;
  /** Fires when the server starts running (true) or stops (false): a test that kills it waits for it. */
  onDidChangeRunning: vscode.Event<boolean>;
  /** Campaign blame in the editor: the lines it marks, and an event once it drew a file's marks. */
  blame: CampaignBlame;
  /** Settles once the open snapshot quick pick has drawn every row's comparison with now. */
  snapshotPickCompared(): Promise<void>;
}

export function activate(context: vscode.ExtensionContext): CodeContextApi {
  const output = vscode.window.createOutputChannel('CodeContext', { log: true });
  const campaigns = new CampaignsView('codecontext.campaigns');
  const snapshots = new SnapshotsView('codecontext.snapshots');
  const rollbacks = new RollbacksView();
  const focus = new ReviewFocus();
  const reviewed = new ReviewedSteps(context.workspaceState);
  const review = new ReviewView(focus, new ViewedFiles(context.workspaceState), reviewed);
  const reviewTree = vscode.window.createTreeView('codecontext.review', {
    treeDataProvider: review.tree,
    manageCheckboxStateManually: true,
    showCollapseAll: true,
  });
  review.attach(reviewTree);
  const comments = new ReviewComments();
  const campaignStatus = createCampaignStatus();
  const blame = new CampaignBlame();
  const workspaceRepos = trackWorkspaceRepos();
  const panels = new Panels(context, reviewed, focus);
  const ctx: CommandContext = {
    output,
    refresh: () => {
      campaigns.refresh();
      snapshots.refresh();
      rollbacks.refresh();
      void campaignStatus.update();
    },
    panels,
    review: { view: review, comments, treeView: reviewTree },
  };
  const views = {
    campaigns: vscode.window.createTreeView('codecontext.campaigns', { treeDataProvider: campaigns.tree, showCollapseAll: true }),
    snapshots: vscode.window.createTreeView('codecontext.snapshots', { treeDataProvider: snapshots.tree, showCollapseAll: true }),
    rollbacks: vscode.window.createTreeView('codecontext.rollbacks', { treeDataProvider: rollbacks.tree, showCollapseAll: true }),
  };
  const setState = (state: 'starting' | 'running' | 'stopped') => void vscode.commands.executeCommand('setContext', 'codecontext.server', state);
  setState('starting');
  context.subscriptions.push(
    output,
    ...serverClientEmitters(),
    activityEmitter(),
    campaigns,
    snapshots,
    rollbacks,
    views.campaigns,
    views.snapshots,
    views.rollbacks,
    // the lists follow the store: whoever changed it (this window, the CLI, another window)
    onDidChangeStore(({ kinds }) => {
      if (kinds.includes('campaigns') || kinds.includes('rollbacks')) campaigns.refresh();
      if (kinds.includes('snapshots') || kinds.includes('rollbacks')) snapshots.refresh();
      if (kinds.includes('rollbacks')) rollbacks.refresh();
    }),
    onDidChangeRunning((running) => {
      setState(running ? 'running' : 'stopped');
      if (!running) ctx.refresh();
    }),
    ...registerCommands(ctx),
    registerBlobDocuments(),
    campaignStatus,
    workspaceRepos,
    focus,
    reviewed,
    review.viewed,
    review,
    reviewTree,
    blame,
    comments,
    comments.onDidAdd(() => review.reload()),
    onDidChangeStore(({ kinds }) => {
      if (kinds.includes('campaigns')) review.reload();
    }),
    panels,
    ...registerLanguageModelTools(),
    startServerClient(context, output),
  );
  return {
    trees: { campaigns: campaigns.tree, snapshots: snapshots.tree, rollbacks: rollbacks.tree },
    views,
    review: { tree: review.tree, view: reviewTree, controller: comments.controller, comments, focus },
    whenRunning,
    statusBarCampaign: () => campaignStatus.shown(),
    answerConfirmations,
    noRepos: () => workspaceRepos.noRepos(),
    watchProgress,
    serverPid,
    onDidChangeRunning,
    blame,
    snapshotPickCompared,
  };
}

/** Stops the server and waits for it; the subscriptions are disposed by VS Code after this. */
export function deactivate(): Promise<void> {
  return stopServerClient();
}
