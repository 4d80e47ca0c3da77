import * as vscode from 'vscode';
import type { CommandContext } from '../commands/context';
import { ReviewCommentNode, ReviewFileNode, ReviewRepoNode } from '../views/reviewView';
import { ReviewNote } from './comments';

/**
 * What the review tree's and the comment widget's commands do (rows of commands/commandTable.ts).
 * Each resolves to what it did: the e2e tests read it.
 */

/**
 * The row a command is about: the node it was given, else the row selected in the Review tree. A
 * click or a context menu gives the node; so does a key: package.json's keybindings pass
 * `{ $treeViewId, $focusedTreeItem: true }`, which VS Code's extension host turns into the tree's
 * focused element (as it does for a view's toolbar actions), so Space after the arrow keys acts on
 * the row the arrows reached, not on the one last clicked.
 */
function rowOf(ctx: CommandContext, args: readonly unknown[]): unknown {
  const node = args[0];
  if (node instanceof ReviewFileNode || node instanceof ReviewRepoNode || node instanceof ReviewCommentNode) return node;
  // a key whose focused row VS Code could not hand over (the tree was re-reading its rows just then)
  // does nothing, rather than act on the selection, which may be another row
  if (args.length > 0 && node == null) return undefined;
  return ctx.review.treeView.selection[0];
}

/** Enter (or a click) on a row: a file opens its diff, a comment opens it at its line, a repo folds or unfolds. */
export async function openReviewDiff(ctx: CommandContext, ...args: unknown[]): Promise<unknown> {
  const row = rowOf(ctx, args);
  const line = args[1];
  if (row instanceof ReviewFileNode) return row.open(typeof line === 'number' ? line : undefined);
  if (row instanceof ReviewCommentNode) return row.file.open(row.comment.line);
  if (row instanceof ReviewRepoNode) return vscode.commands.executeCommand('list.toggleExpand');
  return undefined;
}

export async function setViewed(ctx: CommandContext, node: unknown, viewed: boolean): Promise<void> {
  if (node instanceof ReviewFileNode || node instanceof ReviewRepoNode) await ctx.review.view.setViewed(node, viewed);
}

/**
 * Space on a row: a file's Viewed mark flips; a repo's files all become viewed, or all not viewed
 * when they all were (as its checkbox does); a comment flips its file. Resolves to the new mark.
 */
export async function toggleViewed(ctx: CommandContext, ...args: unknown[]): Promise<boolean | undefined> {
  const row = rowOf(ctx, args);
  const target = row instanceof ReviewCommentNode ? row.file : row;
  if (!(target instanceof ReviewFileNode || target instanceof ReviewRepoNode)) return undefined;
  const now = !ctx.review.view.isViewed(target);
  await ctx.review.view.setViewed(target, now);
  return now;
}

/**
 * "Next Unviewed File": the first file after the selected row (in the tree's order, wrapping round)
 * not yet marked Viewed is selected and its diff opened, the focus staying in the tree so Space marks
 * it; resolves to the file as `repo/path`, or undefined when every file is viewed (then it says so).
 */
export async function nextUnviewed(ctx: CommandContext, ...args: unknown[]): Promise<string | undefined> {
  const { view, treeView } = ctx.review;
  // from the focused row; when VS Code hands none, from the selection (a starting point, nothing changes)
  const next = await view.nextUnviewed(rowOf(ctx, args) ?? treeView.selection[0]);
  if (!next) {
    const data = view.current;
    vscode.window.setStatusBarMessage(data ? `$(check-all) Every file of step ${data.target.step} is viewed` : '$(info) No step is under review', 5000);
    return undefined;
  }
  await treeView.reveal(next, { select: true, focus: true });
  await next.open();
  return `${next.data.name(next.record.repo)}/${next.record.path}`;
}

/** Marks the step under review reviewed, or not (the toolbar's toggle and its "not" twin); resolves to the new mark. */
export async function toggleStepReviewed(ctx: CommandContext): Promise<boolean | undefined> {
  const { view } = ctx.review;
  // the step under review, loaded or not: the palette offers this with the Review view closed too
  const target = view.focus.current;
  if (!target) return undefined;
  const now = !view.reviewed.get(target.campaign).has(target.step);
  await view.reviewed.set(target.campaign, target.step, now);
  return now;
}

export async function addFileComment(ctx: CommandContext, node: unknown, text?: unknown): Promise<unknown> {
  if (!(node instanceof ReviewFileNode)) return undefined;
  const r = node.record;
  const body =
    (typeof text === 'string' ? text : undefined) ??
    (await vscode.window.showInputBox({
      title: `Review comment on ${node.data.name(r.repo)}/${r.path} (step ${node.data.target.step})`,
      prompt: 'A note on the whole file, kept with the campaign',
    }));
  if (!body?.trim()) return undefined;
  return ctx.review.comments.addToFile({ campaign: node.campaign, step: node.data.target.step, repo: r.repo, path: r.path }, body);
}

export function addComment(ctx: CommandContext, reply: unknown): Promise<unknown> {
  return ctx.review.comments.add(reply as vscode.CommentReply);
}

export async function deleteComment(ctx: CommandContext, note: unknown): Promise<void> {
  if (note instanceof ReviewNote) await ctx.review.comments.delete(note);
}

export function openReviewedHistory(ctx: CommandContext): Thenable<unknown> {
  const data = ctx.review.view.current;
  return data
    ? vscode.commands.executeCommand('codecontext.showCampaignHistory', data.campaign.id)
    : vscode.commands.executeCommand('codecontext.showCampaignHistory');
}

/** From the Campaigns tree (a step) or a caller: review that step in the Review tree. */
export async function reviewStep(ctx: CommandContext, arg?: unknown): Promise<unknown> {
  const o = (arg ?? {}) as { campaign?: unknown; step?: unknown };
  if (typeof o.campaign !== 'string' || typeof o.step !== 'number') return vscode.commands.executeCommand('codecontext.showCampaignHistory');
  ctx.review.view.focus.set(o.campaign, o.step);
  await vscode.commands.executeCommand('codecontext.review.focus');
  return ctx.review.treeView.visible;
}
