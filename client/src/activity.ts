import * as vscode from 'vscode';

/**
 * What this window is running right now, by campaign id ("checkpoint", "npm run codemod"…), so the
 * Campaigns tree and the status bar can show a campaign as running while its command runs.
 */
const running = new Map<string, string>();
const changed = new vscode.EventEmitter<void>();
export const onDidChangeActivity = changed.event;

export function runningIn(campaign: string): string | undefined {
  return running.get(campaign);
}

/** Marks `campaign` as running `what` until `work` settles. */
export async function markRunning<T>(campaign: string, what: string, work: () => Promise<T>): Promise<T> {
  running.set(campaign, what);
  changed.fire();
  try {
    return await work();
  } finally {
    running.delete(campaign);
    changed.fire();
  }
}

export function activityEmitter(): vscode.Disposable {
  return changed;
}
