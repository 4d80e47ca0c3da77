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

/** Where a progress was shown and under which title: what the e2e tests read to count notifications. */
export interface ShownProgress {
  location: 'notification' | 'window' | 'view';
  title: string;
  /** The messages it showed, in order. */
  messages: string[];
}

let shown: ShownProgress[] = [];

/** Each call starts a new list of the progress shown from then on (the extension's test API). */
export function watchProgress(): ShownProgress[] {
  shown = [];
  return shown;
}

/**
 * The one `withProgress` of the client's notifications and status-bar progress (a tree's own loading
 * bar aside), so a test can tell how many notifications an operation opened and what words they said.
 */
export function showProgress<R>(
  options: vscode.ProgressOptions,
  task: (progress: vscode.Progress<{ message?: string; increment?: number }>, token: vscode.CancellationToken) => Thenable<R>,
): Promise<R> {
  const where = options.location;
  const entry: ShownProgress = {
    location: where === vscode.ProgressLocation.Notification ? 'notification' : where === vscode.ProgressLocation.Window ? 'window' : 'view',
    title: options.title ?? '',
    messages: [],
  };
  shown.push(entry);
  return Promise.resolve(
    vscode.window.withProgress(options, (progress, token) =>
      task(
        {
          report: (value) => {
            if (value.message) entry.messages.push(value.message);
            progress.report(value);
          },
        },
        token,
      ),
    ),
  );
}

/** Runs a long request under `withProgress` at `location`, relaying the server's messages and percentage. */
export function withServerProgress<R>(
  location: vscode.ProgressLocation | { viewId: string },
  title: string,
  run: (token: vscode.CancellationToken, report: (r: CodeContextProgressReport) => void) => Promise<R>,
  cancellable = true,
): Promise<R> {
  return showProgress({ location, title, cancellable }, async (progress, token) => {
    let last = 0;
    return run(token, (r) => {
      const increment = r.percentage !== undefined ? Math.max(0, r.percentage - last) : undefined;
      if (r.percentage !== undefined) last = Math.max(last, r.percentage);
      progress.report({ message: r.message, increment });
    });
  });
}
