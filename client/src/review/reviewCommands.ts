import * as vscode from 'vscode';
import { describeError } from '../output';
import { ReviewFileNode, ReviewRepoNode, ReviewView } from '../views/reviewView';
import { ReviewComments, ReviewNote } from './comments';

/**
 * The review tree's and the comment widget's commands. Each resolves to what it did (the e2e tests
 * read it); a failure shows one message.
 */
export function registerReviewCommands(view: ReviewView, comments: ReviewComments, treeView: vscode.TreeView<unknown>): vscode.Disposable[] {
  const guarded =
    <A extends unknown[], T>(what: string, f: (...args: A) => Promise<T>) =>
    async (...args: A): Promise<T | undefined> => {
      try {
        return await f(...args);
      } catch (e) {
        void vscode.window.showErrorMessage(`CodeContext: ${what} failed: ${describeError(e)}`);
        return undefined;
      }
    };
  const viewedNode = (node: unknown) => (node instanceof ReviewFileNode || node instanceof ReviewRepoNode ? node : undefined);
  return [
    vscode.commands.registerCommand(
      'codecontext.review.openDiff',
      guarded('Open Diff', async (node: unknown, line?: number) => (node instanceof ReviewFileNode ? node.open(line) : undefined)),
    ),
    vscode.commands.registerCommand(
      'codecontext.review.markViewed',
      guarded('Mark as Viewed', async (node: unknown) => {
        const n = viewedNode(node);
        if (n) await view.setViewed(n, true);
      }),
    ),
    vscode.commands.registerCommand(
      'codecontext.review.markUnviewed',
      guarded('Mark as Not Viewed', async (node: unknown) => {
        const n = viewedNode(node);
        if (n) await view.setViewed(n, false);
      }),
    ),
    vscode.commands.registerCommand('codecontext.review.previousStep', () => view.step(-1)),
    vscode.commands.registerCommand('codecontext.review.nextStep', () => view.step(+1)),
    ...['codecontext.review.toggleStepReviewed', 'codecontext.review.unmarkStepReviewed'].map((id) =>
      vscode.commands.registerCommand(
        id,
        guarded('Mark Step Reviewed', async () => {
          const data = view.current;
          if (!data) return undefined;
          const now = !view.reviewed.get(data.campaign.id).has(data.target.step);
          await view.reviewed.set(data.campaign.id, data.target.step, now);
          return now;
        }),
      ),
    ),
    vscode.commands.registerCommand(
      'codecontext.review.addFileComment',
      guarded('Add Review Comment', async (node: unknown, text?: string) => {
        if (!(node instanceof ReviewFileNode)) return undefined;
        const r = node.record;
        const body =
          text ??
          (await vscode.window.showInputBox({
            title: `Review comment on ${node.data.name(r.repo)}/${r.path} (step ${node.data.target.step})`,
            prompt: 'A note on the whole file, kept with the campaign',
          }));
        if (!body?.trim()) return undefined;
        return comments.addToFile({ campaign: node.campaign, step: node.data.target.step, repo: r.repo, path: r.path }, body);
      }),
    ),
    vscode.commands.registerCommand(
      'codecontext.review.addComment',
      guarded('Add Review Comment', (reply: vscode.CommentReply) => comments.add(reply)),
    ),
    vscode.commands.registerCommand(
      'codecontext.review.deleteComment',
      guarded('Delete Review Comment', async (note: unknown) => {
        if (note instanceof ReviewNote) await comments.delete(note);
      }),
    ),
    vscode.commands.registerCommand('codecontext.review.openHistory', () => {
      const data = view.current;
      return data
        ? vscode.commands.executeCommand('codecontext.showCampaignHistory', data.campaign.id)
        : vscode.commands.executeCommand('codecontext.showCampaignHistory');
    }),
    // from the Campaigns tree (a step) or a caller: review that step here
    vscode.commands.registerCommand('codecontext.reviewStep', async (arg?: unknown) => {
      const o = (arg ?? {}) as { campaign?: unknown; step?: unknown };
      if (typeof o.campaign !== 'string' || typeof o.step !== 'number') return vscode.commands.executeCommand('codecontext.showCampaignHistory');
      view.focus.set(o.campaign, o.step);
      await vscode.commands.executeCommand('codecontext.review.focus');
      return treeView.visible;
    }),
    comments.onDidAdd(() => view.reload()),
  ];
}
