import * as vscode from 'vscode';
import type { CommandContext } from '../commands/context';
import { ReviewFileNode, ReviewRepoNode } from '../views/reviewView';
import { ReviewNote } from './comments';

/**
 * What the review tree's and the comment widget's commands do (rows of commands/commandTable.ts).
 * Each resolves to what it did: the e2e tests read it.
 */

export async function openReviewDiff(_ctx: CommandContext, node: unknown, line?: unknown): Promise<unknown> {
  return node instanceof ReviewFileNode ? node.open(typeof line === 'number' ? line : undefined) : undefined;
}

export async function setViewed(ctx: CommandContext, node: unknown, viewed: boolean): Promise<void> {
  if (node instanceof ReviewFileNode || node instanceof ReviewRepoNode) await ctx.review.view.setViewed(node, viewed);
}

/** Marks the step under review reviewed, or not (the toolbar's toggle and its "not" twin); resolves to the new mark. */
export async function toggleStepReviewed(ctx: CommandContext): Promise<boolean | undefined> {
  const { view } = ctx.review;
  const data = view.current;
  if (!data) return undefined;
  const now = !view.reviewed.get(data.campaign.id).has(data.target.step);
  await view.reviewed.set(data.campaign.id, data.target.step, now);
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
