import * as vscode from 'vscode';

/**
 * The reviewer's "reviewed" marks, per campaign and step, in the workspace state: they survive a
 * reload of the window and belong to this workspace (another checkout reviews on its own).
 */
export class ReviewedSteps {
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
    await this.state.update(this.key(campaign), [...steps].sort((a, b) => a - b));
  }
}
