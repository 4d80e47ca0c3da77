import * as vscode from 'vscode';
import { FileDiff, openFileDiff } from '../diff/openFileDiff';
import { showError, showOutputAction } from '../output';
import { getClient, restartServer, ServerNotRunningError } from '../serverClient';
import { LoadMoreNode } from '../views/tree';
import { CommandContext } from './context';
import { setShowAll } from '../scope';
import { openEvidence, recoverRollbacks, rollbackToSnapshot, undoRollback, verifyEvidence } from './rollbackCommands';
import { checkpointCampaign, createSnapshot, runInCampaign, startCampaign, verifySnapshot } from './storeCommands';
import {
  addComment,
  addFileComment,
  deleteComment,
  nextUnviewed,
  openReviewDiff,
  openReviewedHistory,
  reviewStep,
  setViewed,
  toggleStepReviewed,
  toggleViewed,
} from '../review/reviewCommands';

/**
 * Every command of package.json's `contributes.commands`, and the internal `codecontext.evidence.show`,
 * in one table; nothing else registers a command. A command that needs the server has two forms: the
 * enabled one, and — while the server is not running — one message saying so with "Show Output" and
 * "Restart Server", so nothing fails silently (a command that can wait for the server, as a panel
 * does while the extension starts, says `needsServer: false` and gets the same message if a request
 * finds it gone). Failures show one message with "Show Output"; a cancel shows nothing. Each command
 * resolves to its result (tests read it).
 *
 * Each row also says how the command palette offers it (issue 25, item 11: one entry per command,
 * nothing a user cannot run from there); package.json's `menus.commandPalette` says the same, and
 * test/unit/clientShape.test.ts checks that the two agree and that the titles do.
 */
interface CommandSpec {
  id: string;
  /** Its one title: package.json's (without a trailing "…"), and the messages' ("Create Snapshot failed: …"). */
  title: string;
  needsServer: boolean;
  /**
   * In the palette: `always`; `never` (a tree row's or a widget's own command: nothing to act on
   * from the palette, or the same as one that is there); or while a `when` clause holds.
   */
  palette: 'always' | 'never' | { when: string };
  run: (ctx: CommandContext, ...args: unknown[]) => unknown;
}

const table: CommandSpec[] = [
  // the store and the rollbacks
  { id: 'codecontext.createSnapshot', title: 'Create Snapshot', needsServer: true, palette: 'always', run: createSnapshot },
  { id: 'codecontext.startCampaign', title: 'Start Campaign', needsServer: true, palette: 'always', run: startCampaign },
  { id: 'codecontext.checkpointCampaign', title: 'Checkpoint Campaign', needsServer: true, palette: 'always', run: checkpointCampaign },
  { id: 'codecontext.runInCampaign', title: 'Run Command in Campaign', needsServer: true, palette: 'always', run: runInCampaign },
  { id: 'codecontext.rollbackToSnapshot', title: 'Rollback to Snapshot', needsServer: true, palette: 'always', run: rollbackToSnapshot },
  { id: 'codecontext.rollback', title: 'Rollback', needsServer: true, palette: 'never', run: rollbackToSnapshot },
  { id: 'codecontext.undoLastRollback', title: 'Undo Last Rollback', needsServer: true, palette: 'always', run: undoRollback },
  { id: 'codecontext.undoRollback', title: 'Undo Rollback', needsServer: true, palette: 'never', run: undoRollback },
  { id: 'codecontext.recover', title: 'Recover Interrupted Rollbacks', needsServer: true, palette: 'always', run: recoverRollbacks },
  { id: 'codecontext.verifySnapshot', title: 'Verify Snapshot', needsServer: true, palette: 'always', run: verifySnapshot },
  { id: 'codecontext.openEvidence', title: 'Open Evidence Pack', needsServer: true, palette: 'always', run: openEvidence },
  { id: 'codecontext.verifyEvidence', title: 'Verify Evidence Pack', needsServer: true, palette: 'always', run: verifyEvidence },
  {
    id: 'codecontext.openFileDiff',
    title: 'Open Diff',
    needsServer: true,
    palette: 'never',
    run: (_ctx, diff) => openFileDiff(diff as FileDiff),
  },
  {
    id: 'codecontext.loadMore',
    title: 'Load More',
    needsServer: true,
    palette: 'never',
    run: (_ctx, node) => (node instanceof LoadMoreNode ? node.load() : undefined),
  },
  // the webview panels: they wait for a server that is starting
  {
    id: 'codecontext.previewRollback',
    title: 'Preview Rollback',
    needsServer: false,
    palette: 'always',
    run: (ctx, arg) => ctx.panels.previewRollback(arg),
  },
  {
    id: 'codecontext.showCampaignHistory',
    title: 'Show Campaign History',
    needsServer: false,
    palette: 'always',
    run: (ctx, arg) => ctx.panels.showCampaignHistory(arg),
  },
  {
    id: 'codecontext.history.previousStep',
    title: 'Previous Step',
    needsServer: false,
    palette: { when: "activeWebviewPanelId == 'codecontext.campaignHistory'" },
    run: (ctx) => ctx.panels.historyStep(-1),
  },
  {
    id: 'codecontext.history.nextStep',
    title: 'Next Step',
    needsServer: false,
    palette: { when: "activeWebviewPanelId == 'codecontext.campaignHistory'" },
    run: (ctx) => ctx.panels.historyStep(+1),
  },
  {
    id: 'codecontext.preview.refresh',
    title: 'Refresh Rollback Preview',
    needsServer: false,
    palette: { when: "activeWebviewPanelId == 'codecontext.rollbackPreview'" },
    run: (ctx) => ctx.panels.refreshPreview(),
  },
  {
    id: 'codecontext.evidence.show',
    title: 'Open Evidence Pack',
    needsServer: false,
    palette: 'never',
    run: (ctx, rollback) => ctx.panels.showEvidence(rollback as string),
  },
  {
    id: 'codecontext.evidence.verify',
    title: 'Verify This Evidence Pack',
    needsServer: false,
    palette: { when: "activeWebviewPanelId == 'codecontext.evidence'" },
    run: (ctx) => ctx.panels.verifyEvidence(),
  },
  // the review of a step: its keys (Space, Enter, Alt+N) are package.json's keybindings
  { id: 'codecontext.review.openDiff', title: 'Open Diff', needsServer: false, palette: 'never', run: openReviewDiff },
  { id: 'codecontext.review.toggleViewed', title: 'Toggle Viewed', needsServer: false, palette: 'never', run: toggleViewed },
  {
    id: 'codecontext.review.nextUnviewed',
    title: 'Next Unviewed File',
    needsServer: false,
    palette: { when: 'codecontext.reviewing' },
    run: nextUnviewed,
  },
  {
    id: 'codecontext.review.markViewed',
    title: 'Mark as Viewed',
    needsServer: false,
    palette: 'never',
    run: (ctx, node) => setViewed(ctx, node, true),
  },
  {
    id: 'codecontext.review.markUnviewed',
    title: 'Mark as Not Viewed',
    needsServer: false,
    palette: 'never',
    run: (ctx, node) => setViewed(ctx, node, false),
  },
  {
    id: 'codecontext.review.previousStep',
    title: 'Review Previous Step',
    needsServer: false,
    palette: { when: 'codecontext.reviewing' },
    run: (ctx) => ctx.review.view.step(-1),
  },
  {
    id: 'codecontext.review.nextStep',
    title: 'Review Next Step',
    needsServer: false,
    palette: { when: 'codecontext.reviewing' },
    run: (ctx) => ctx.review.view.step(+1),
  },
  {
    id: 'codecontext.review.toggleStepReviewed',
    title: 'Mark Step Reviewed',
    needsServer: false,
    palette: { when: 'codecontext.reviewing && !codecontext.reviewStepReviewed' },
    run: toggleStepReviewed,
  },
  {
    id: 'codecontext.review.unmarkStepReviewed',
    title: 'Mark Step Not Reviewed',
    needsServer: false,
    palette: { when: 'codecontext.reviewing && codecontext.reviewStepReviewed' },
    run: toggleStepReviewed,
  },
  { id: 'codecontext.review.addFileComment', title: 'Add Review Comment', needsServer: false, palette: 'never', run: addFileComment },
  { id: 'codecontext.review.addComment', title: 'Add Comment', needsServer: false, palette: 'never', run: addComment },
  { id: 'codecontext.review.deleteComment', title: 'Delete Comment', needsServer: false, palette: 'never', run: deleteComment },
  // the Review view's toolbar button; the palette has "Show Campaign History" already
  { id: 'codecontext.review.openHistory', title: 'Show Campaign History', needsServer: false, palette: 'never', run: openReviewedHistory },
  { id: 'codecontext.reviewStep', title: 'Review Step', needsServer: false, palette: 'never', run: reviewStep },
  // always there
  { id: 'codecontext.refresh', title: 'Refresh', needsServer: false, palette: 'always', run: (ctx) => ctx.refresh() },
  // a window lists its own folders' work (scope.ts); the rest of a shared store is one explicit step away
  {
    id: 'codecontext.showAllCampaigns',
    title: 'Show All Campaigns',
    needsServer: false,
    palette: { when: '!codecontext.showingAll' },
    run: async (ctx) => {
      await setShowAll(true);
      ctx.refresh();
    },
  },
  {
    id: 'codecontext.showOpenFoldersOnly',
    title: 'Show Only Open Folders',
    needsServer: false,
    palette: { when: 'codecontext.showingAll' },
    run: async (ctx) => {
      await setShowAll(false);
      ctx.refresh();
    },
  },
  { id: 'codecontext.copyId', title: 'Copy Id', needsServer: false, palette: 'never', run: copyId },
  { id: 'codecontext.restartServer', title: 'Restart Server', needsServer: false, palette: 'always', run: () => restartServer() },
  { id: 'codecontext.showOutput', title: 'Show Output', needsServer: false, palette: 'always', run: (ctx) => ctx.output.show(true) },
];

export function registerCommands(ctx: CommandContext): vscode.Disposable[] {
  return table.map((spec) =>
    vscode.commands.registerCommand(spec.id, async (...args: unknown[]) => {
      if (spec.needsServer && !getClient()) return notRunning(ctx, spec.title);
      try {
        return await spec.run(ctx, ...args);
      } catch (e) {
        if (e instanceof ServerNotRunningError) return notRunning(ctx, spec.title);
        await showError(`${spec.title} failed`, e, ctx.output);
        return undefined;
      }
    }),
  );
}

async function notRunning(ctx: CommandContext, title: string): Promise<undefined> {
  const restart = 'Restart Server';
  const show = 'Show Output';
  const answer = await vscode.window.showWarningMessage(`CodeContext: "${title}" needs the CodeContext server, which is not running.`, show, restart);
  if (answer === show) ctx.output.show(true);
  if (answer === restart)
    await restartServer().catch((e: unknown) => showOutputAction(`The server did not restart: ${(e as Error).message}`, ctx.output, 'error'));
  return undefined;
}

/** Copies the id a tree node carries (rollback, snapshot, campaign; a step as `camp_…#N`). */
async function copyId(_ctx: CommandContext, node: unknown): Promise<string | undefined> {
  if (!node || typeof node !== 'object') return undefined;
  const o = node as Record<string, unknown>;
  const base = [o.rollback, o.snapshot, o.campaign].find((v): v is string => typeof v === 'string');
  if (!base) return undefined;
  const id = o.kind === 'step' && typeof o.step === 'number' ? `${base}#${o.step}` : base;
  await vscode.env.clipboard.writeText(id);
  vscode.window.setStatusBarMessage(`$(copy) Copied ${id}`, 4000);
  return id;
}
