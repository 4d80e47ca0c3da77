import * as vscode from 'vscode';
import { CampaignCommentAddRequest, CampaignCommentDeleteRequest, CampaignCommentsRequest, ReviewComment } from '../../../server/src/protocol';
import { reviewOfUri } from '../diff/blobDocuments';
import { describeError } from '../output';
import { getClient, onDidChangeStore, requireClient } from '../serverClient';

/** A stored review comment as VS Code's comment widget shows it. */
export class ReviewNote implements vscode.Comment {
  readonly body: vscode.MarkdownString;
  readonly mode = vscode.CommentMode.Preview;
  readonly author: vscode.CommentAuthorInformation;
  readonly timestamp: Date;
  readonly contextValue = 'reviewComment';
  readonly label: string;

  constructor(readonly data: ReviewComment) {
    this.body = new vscode.MarkdownString();
    this.body.appendText(data.body);
    this.author = { name: data.author };
    this.timestamp = new Date(data.at);
    this.label = `step ${data.step}`;
  }
}

/**
 * Review comments in the diff editor, through VS Code's comments API: on the right side of a campaign
 * step's diff (a `codecontext:` document that names its campaign and step) a reviewer can leave a
 * note on any line. Notes are kept with the campaign in the store (the server's
 * `codecontext/campaign/comment/add`), so `codecontext campaign log`, other windows and the evidence
 * pack of a rollback see them; the threads of an open document are redrawn from the store whenever
 * it changes (a comment left from the CLI shows up too).
 */
export class ReviewComments implements vscode.Disposable {
  readonly controller = vscode.comments.createCommentController('codecontext.review', 'CodeContext Review');
  private readonly threads = new Map<string, vscode.CommentThread[]>();
  private readonly scope: vscode.Disposable[] = [];
  private readonly added = new vscode.EventEmitter<ReviewComment>();
  /** A comment was written from this window (the review tree re-reads its step). */
  readonly onDidAdd = this.added.event;

  constructor() {
    this.controller.commentingRangeProvider = {
      provideCommentingRanges: (doc) => (reviewOfUri(doc.uri) ? [new vscode.Range(0, 0, Math.max(0, doc.lineCount - 1), 0)] : []),
    };
    this.controller.options = { prompt: 'Add a review comment', placeHolder: 'A note on this line for the campaign’s reviewers (kept with the campaign)' };
    this.scope.push(
      this.controller,
      this.added,
      vscode.workspace.onDidOpenTextDocument((doc) => void this.draw(doc.uri)),
      vscode.workspace.onDidCloseTextDocument((doc) => this.clear(doc.uri.toString())),
      onDidChangeStore(({ kinds }) => {
        if (kinds.includes('campaigns')) void this.redrawAll();
      }),
    );
    void this.redrawAll();
  }

  /** The "Add Comment" / "Reply" button of a thread on a step's diff: stores the note, then draws it. */
  async add(reply: vscode.CommentReply): Promise<ReviewComment | undefined> {
    const review = reviewOfUri(reply.thread.uri);
    if (!review) return undefined;
    const text = reply.text.trim();
    if (!text) return undefined;
    const line = (reply.thread.range?.start.line ?? 0) + 1;
    let comment: ReviewComment;
    try {
      comment = await requireClient().sendRequest(CampaignCommentAddRequest, {
        campaign: review.campaign,
        step: review.step,
        repo: review.repo,
        path: review.path,
        line,
        body: text,
      });
    } catch (e) {
      void vscode.window.showErrorMessage(`CodeContext: the comment was not saved: ${describeError(e)}`);
      return undefined;
    }
    // shown at once in the thread it was typed in; the store's change event redraws it from the store
    reply.thread.comments = [...reply.thread.comments, new ReviewNote(comment)];
    this.dress(reply.thread, review.step);
    const key = reply.thread.uri.toString();
    const list = this.threads.get(key) ?? [];
    if (!list.includes(reply.thread)) this.threads.set(key, [...list, reply.thread]);
    this.added.fire(comment);
    return comment;
  }

  /** Adds a note on a whole file (no line): from the review tree. */
  async addToFile(review: { campaign: string; step: number; repo: string; path: string }, text: string): Promise<ReviewComment> {
    const comment = await requireClient().sendRequest(CampaignCommentAddRequest, { ...review, body: text });
    this.added.fire(comment);
    return comment;
  }

  async delete(note: ReviewNote): Promise<void> {
    await requireClient().sendRequest(CampaignCommentDeleteRequest, { campaign: note.data.campaign, id: note.data.id });
    await this.redrawAll();
    this.added.fire(note.data);
  }

  /** The threads drawn on a document now (for the tests, and for `reveal`). */
  threadsOf(uri: vscode.Uri): readonly vscode.CommentThread[] {
    return this.threads.get(uri.toString()) ?? [];
  }

  private async redrawAll(): Promise<void> {
    if (!getClient()) return;
    await Promise.all(vscode.workspace.textDocuments.map((d) => this.draw(d.uri)));
  }

  /** (Re)draws the line comments of one step's document from the store, one thread per line. */
  private async draw(uri: vscode.Uri): Promise<void> {
    const review = reviewOfUri(uri);
    if (!review || !getClient()) return;
    let comments: ReviewComment[];
    try {
      ({ comments } = await requireClient().sendRequest(CampaignCommentsRequest, { campaign: review.campaign, step: review.step }));
    } catch {
      return; // comments are an aid: a campaign that cannot be read says so where it is opened
    }
    const mine = comments.filter((c) => c.repo === review.repo && c.path === review.path && c.line !== undefined);
    const byLine = new Map<number, ReviewComment[]>();
    for (const c of mine) (byLine.get(c.line!) ?? byLine.set(c.line!, []).get(c.line!)!).push(c);
    const key = uri.toString();
    this.clear(key);
    const threads = [...byLine].map(([line, notes]) => {
      const thread = this.controller.createCommentThread(
        uri,
        new vscode.Range(line - 1, 0, line - 1, 0),
        notes.map((n) => new ReviewNote(n)),
      );
      this.dress(thread, review.step);
      return thread;
    });
    this.threads.set(key, threads);
  }

  private dress(thread: vscode.CommentThread, step: number): void {
    thread.label = `Review of step ${step}`;
    thread.canReply = true;
    thread.contextValue = 'reviewThread';
    thread.collapsibleState = vscode.CommentThreadCollapsibleState.Expanded;
  }

  private clear(key: string): void {
    for (const t of this.threads.get(key) ?? []) t.dispose();
    this.threads.delete(key);
  }

  dispose(): void {
    for (const key of [...this.threads.keys()]) this.clear(key);
    for (const d of this.scope.splice(0)) d.dispose();
  }
}
