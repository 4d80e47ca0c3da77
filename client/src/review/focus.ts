import * as vscode from 'vscode';

/** The campaign step under review: the history panel and the review tree follow it together. */
export interface ReviewTarget {
  campaign: string;
  step: number;
}

/**
 * Which step is under review, shared by the history panel (it moves the focus as it steps) and the
 * review tree (it shows the focus's files; its Prev / Next move the focus, and the panel follows).
 * Also where a visible history panel sits, so diffs open beside it instead of over it.
 */
export class ReviewFocus implements vscode.Disposable {
  private target?: ReviewTarget;
  private readonly changed = new vscode.EventEmitter<ReviewTarget | undefined>();
  readonly onDidChange = this.changed.event;
  /** The editor column of a visible history panel, if one is visible. */
  historyColumn?: vscode.ViewColumn;

  get current(): ReviewTarget | undefined {
    return this.target;
  }

  set(campaign: string, step: number): void {
    if (this.target?.campaign === campaign && this.target.step === step) return;
    this.target = { campaign, step };
    this.changed.fire(this.target);
  }

  /** Nothing under review (the tree shows its welcome). */
  clear(): void {
    if (!this.target) return;
    this.target = undefined;
    this.changed.fire(undefined);
  }

  /** Where a step's diff opens: beside a visible history panel, else in the active group. */
  diffColumn(): vscode.ViewColumn {
    return this.historyColumn !== undefined ? this.historyColumn + 1 : vscode.ViewColumn.Active;
  }

  dispose(): void {
    this.changed.dispose();
  }
}
