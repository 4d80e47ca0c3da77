import { randomUUID } from 'crypto';
import * as vscode from 'vscode';
import { RequestType, WorkDoneProgress, WorkDoneProgressParams } from 'vscode-languageclient/node';
import { CodeContextProgressReport } from '../../server/src/protocol';
import { requireClient } from './serverClient';

/**
 * Sends one of the server's long requests with a work-done token of our own, so its progress goes
 * where the work started (a view, a notification) instead of a notification the library opens by
 * itself, and so background requests (a tree's preview) show none at all.
 */
export async function sendWithProgress<P extends WorkDoneProgressParams, R, E>(
  type: RequestType<P, R, E>,
  params: P,
  token?: vscode.CancellationToken,
  onReport?: (report: CodeContextProgressReport) => void,
): Promise<R> {
  const client = requireClient();
  const workDoneToken = randomUUID();
  const listening = client.onProgress(WorkDoneProgress.type, workDoneToken, (value) => {
    if (value.kind === 'report') onReport?.(value as CodeContextProgressReport);
  });
  try {
    return await client.sendRequest(type, { ...params, workDoneToken } as never, token);
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
