import { randomUUID } from 'crypto';
import * as vscode from 'vscode';
import { CancellationToken, RequestType, WorkDoneProgress, WorkDoneProgressParams } from 'vscode-languageclient/node';
import { CodeContextProgressReport } from '../../server/src/protocol';
import { requireClient } from './serverClient';

/**
 * Sends one of the server's long requests with a work-done token of our own, so its progress goes
 * where the work started (a view, a notification, the webview that asked) instead of a notification
 * the library opens by itself, and so background requests (a tree's preview) show none at all.
 * `onReport` gets each report (message, percentage, and `detail`: phase, done/total, repo); `token`
 * is the caller's cancel (a notification's Cancel, a panel's Cancel button or its disposal).
 */
export async function sendWithProgress<P extends WorkDoneProgressParams, R, E>(
  type: RequestType<P, R, E>,
  params: P,
  token?: vscode.CancellationToken | CancellationToken,
  onReport?: (report: CodeContextProgressReport) => void,
): Promise<R> {
  const client = requireClient();
  const workDoneToken = randomUUID();
  const listening = client.onProgress(WorkDoneProgress.type, workDoneToken, (value) => {
    if (value.kind === 'report') onReport?.(value as CodeContextProgressReport);
  });
  try {
    // the library types params as `RequestParam<P>`, a conditional type a generic P does not reduce to
    const withToken = { ...params, workDoneToken } as P extends null ? P | undefined : P;
    return await client.sendRequest(type, withToken, token);
  } finally {
    listening.dispose();
  }
}

/** Runs a long request under `withProgress` at `location`, relaying the server's messages and percentage. */
export function withServerProgress<R>(
  location: vscode.ProgressLocation | { viewId: string },
  title: string,
  run: (token: vscode.CancellationToken, report: (r: CodeContextProgressReport) => void) => Promise<R>,
  cancellable = true,
): Promise<R> {
  return Promise.resolve(
    vscode.window.withProgress({ location, title, cancellable }, async (progress, token) => {
      let last = 0;
      return run(token, (r) => {
        const increment = r.percentage !== undefined ? Math.max(0, r.percentage - last) : undefined;
        if (r.percentage !== undefined) last = Math.max(last, r.percentage);
        progress.report({ message: r.message, increment });
      });
    }),
  );
}
