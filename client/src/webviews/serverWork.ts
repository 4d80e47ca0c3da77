import { randomUUID } from 'crypto';
import * as vscode from 'vscode';
import { CancellationTokenSource, RequestType, WorkDoneProgress, WorkDoneProgressParams } from 'vscode-languageclient/node';
import type { CodeContextProgressReport, ProgressDetail } from '../../../server/src/protocol';
import { getClient, onDidChangeRunning, requireClient } from '../serverClient';

/**
 * Sends a long request with a work-done token of our own, so its progress is drawn in the webview that
 * started it (not in a global notification), and with a cancellation source the panel's Cancel button
 * and its disposal trigger. `onReport` gets each report's `detail` (phase, done/total, repo).
 */
export async function sendWithProgress<P extends WorkDoneProgressParams, R, E>(
  type: RequestType<P, R, E>,
  params: P,
  onReport: (detail: ProgressDetail | undefined, message: string | undefined) => void,
  cancel: CancellationTokenSource | vscode.CancellationTokenSource,
): Promise<R> {
  const client = requireClient();
  const token = `codecontext-webview-${randomUUID()}`;
  const listening = client.onProgress(WorkDoneProgress.type, token, (value) => {
    if (value.kind === 'report') onReport((value as CodeContextProgressReport).detail, value.message);
  });
  try {
    // the library types params as `RequestParam<P>`, a conditional type a generic P does not reduce to
    const withToken = { ...params, workDoneToken: token } as P extends null ? P | undefined : P;
    return await client.sendRequest(type, withToken, cancel.token);
  } finally {
    listening.dispose();
  }
}

/**
 * Resolves once the server runs (at once if it does), so a panel opened while the extension is still
 * starting loads instead of failing; after `timeoutMs` it resolves anyway and the caller's request
 * reports "the server is not running".
 */
export function whenServerRunning(timeoutMs = 30_000): Promise<void> {
  if (getClient()) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      listening.dispose();
      resolve();
    };
    const timer = setTimeout(done, timeoutMs);
    const listening = onDidChangeRunning((running) => running && done());
  });
}
