import * as vscode from 'vscode';

/**
 * The reviewer's "reviewed" marks, per campaign and step, in the workspace state: they survive a
 * reload of the window and belong to this workspace (another checkout reviews on its own).
 */
export class ReviewedSteps implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<{ campaign: string; step: number; reviewed: boolean }>();
  /** A step was marked or unmarked, from the history panel or the review tree. */
  readonly onDidChange = this.changed.event;

  constructor(private readonly state: vscode.Memento) {}

  private key(campaign: string): string {
    return `codecontext.reviewedSteps.${campaign}`;
  }

  get(campaign: string): Set<number> {
    return new Set(this.state.get<number[]>(this.key(campaign), []));
  }

  async set(campaign: string, step: number, reviewed: boolean): Promise<void> {
    const steps = this.get(campaign);
    if (reviewed) steps.add(step);
    else steps.delete(step);
    await this.state.update(
      this.key(campaign),
      [...steps].sort((a, b) => a - b),
    );
    this.changed.fire({ campaign, step, reviewed });
  }

  dispose(): void {
    this.changed.dispose();
  }
}

/**
 * The "Viewed" mark of each file of a step (as the GitHub Pull Requests extension has per file of a
 * pull request), in the workspace state like the steps' marks: `repo` + "\n" + `path` per step.
 */
export class ViewedFiles implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<{ campaign: string; step: number }>();
  readonly onDidChange = this.changed.event;

  constructor(private readonly state: vscode.Memento) {}

  private key(campaign: string): string {
    return `codecontext.viewedFiles.${campaign}`;
  }

  static keyOf(repo: string, path: string): string {
    return `${repo}\n${path}`;
  }

  get(campaign: string, step: number): Set<string> {
    return new Set(this.state.get<Record<string, string[]>>(this.key(campaign), {})[String(step)] ?? []);
  }

  /** Marks (or unmarks) several files of one step at once: one write, one change event. */
  async set(campaign: string, step: number, files: readonly { repo: string; path: string }[], viewed: boolean): Promise<void> {
    const all = { ...this.state.get<Record<string, string[]>>(this.key(campaign), {}) };
    const marks = new Set(all[String(step)] ?? []);
    for (const f of files) {
      if (viewed) marks.add(ViewedFiles.keyOf(f.repo, f.path));
      else marks.delete(ViewedFiles.keyOf(f.repo, f.path));
    }
    if (marks.size) all[String(step)] = [...marks].sort();
    else delete all[String(step)];
    await this.state.update(this.key(campaign), all);
    this.changed.fire({ campaign, step });
  }

  dispose(): void {
    this.changed.dispose();
  }
}
