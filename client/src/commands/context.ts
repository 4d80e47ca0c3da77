import * as vscode from 'vscode';
import type { ReviewComments } from '../review/comments';
import type { Node } from '../views/tree';
import type { ReviewView } from '../views/reviewView';
import type { Panels } from '../webviews';

/** What commands share: the output channel for details, a way to have every view re-read, the panels and the review. */
export interface CommandContext {
  output: vscode.LogOutputChannel;
  refresh(): void;
  /** The webview panels (preview, history, evidence) the panel commands open and drive. */
  panels: Panels;
  /** The Review tree, its view, and the comments on a step's diff. */
  review: { view: ReviewView; comments: ReviewComments; treeView: vscode.TreeView<Node> };
}
