import * as vscode from 'vscode';
import { CodeContextProgressReport } from '../../../server/src/protocol';

/**
 * Progress for a rollback or undo: a notification with Cancel while it prepares (a cancel then
 * changes nothing), replaced by one without Cancel once the commit phase begins (a transaction
 * never stops half-way, so the button would promise what cannot happen).
 */
export async function runTransaction<R>(
  title: string,
  send: (token: vscode.CancellationToken, report: (r: CodeContextProgressReport) => void) => Promise<R>,
): Promise<R> {
  const cancel = new vscode.CancellationTokenSource();
  let progress: vscode.Progress<{ message?: string; increment?: number }> | undefined;
  let last = 0;
  let enterCommit = () => undefined as void;
  const committing = new Promise<void>((resolve) => (enterCommit = resolve));
  const report = (r: CodeContextProgressReport) => {
    const phase = r.detail?.phase;
    if (phase === 'commit' || phase === 'verify') enterCommit();
    const increment = r.percentage !== undefined ? Math.max(0, r.percentage - last) : undefined;
    if (r.percentage !== undefined) last = Math.max(last, r.percentage);
    progress?.report({ message: r.message, increment });
  };
  const request = send(cancel.token, report);
  let finished = false;
  const settled = request.then(
    () => void (finished = true),
    () => void (finished = true),
  );
  try {
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (p, token) => {
      progress = p;
      const listener = token.onCancellationRequested(() => cancel.cancel());
      try {
        await Promise.race([settled, committing]);
      } finally {
        listener.dispose();
      }
    });
    if (!finished) {
      await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `${title} — committing, can no longer be cancelled`, cancellable: false },
        async (p) => {
          progress = p;
          p.report({ increment: last });
          await settled;
        },
      );
    }
    return await request;
  } finally {
    cancel.dispose();
  }
}
