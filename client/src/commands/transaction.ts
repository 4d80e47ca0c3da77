import * as vscode from 'vscode';
import { CodeContextProgressReport } from '../../../server/src/protocol';
import { showProgress } from '../request';

/**
 * Progress for a rollback or undo: one notification from start to end (issue 25: a one-click rollback
 * stacked three). It offers Cancel, which stops the transaction before its commit phase and changes
 * nothing; once the commit phase begins its words say it can no longer be cancelled (a transaction
 * never stops half-way), and a cancel pressed then only lets the run finish: the outcome says
 * "the cancel arrived after the commit began".
 */
export async function runTransaction<R>(
  title: string,
  send: (token: vscode.CancellationToken, report: (r: CodeContextProgressReport) => void) => Promise<R>,
): Promise<R> {
  return showProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
    let last = 0;
    let committing = false;
    const report = (r: CodeContextProgressReport) => {
      const phase = r.detail?.phase;
      if (phase === 'commit' || phase === 'verify') committing = true;
      const increment = r.percentage !== undefined ? Math.max(0, r.percentage - last) : undefined;
      if (r.percentage !== undefined) last = Math.max(last, r.percentage);
      const message = committing && r.message ? `${r.message} (can no longer be cancelled)` : r.message;
      progress.report({ message, increment });
    };
    return send(token, report);
  });
}
