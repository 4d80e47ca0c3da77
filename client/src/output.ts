import * as vscode from 'vscode';
import { ResponseError } from 'vscode-languageclient/node';
import { ErrorCodes, ErrorData } from '../../server/src/protocol';

/**
 * How the client tells the user something went wrong: one message with a "Show Output" action, the
 * detail in the CodeContext output channel. A cancel is not an error and shows nothing.
 */

const showOutput = 'Show Output';

/** Shows `text` with a "Show Output" action that reveals `output`. */
export async function showOutputAction(text: string, output: vscode.OutputChannel, level: 'info' | 'warning' | 'error'): Promise<void> {
  const show =
    level === 'error' ? vscode.window.showErrorMessage : level === 'warning' ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
  if ((await show(text, showOutput)) === showOutput) output.show(true);
}

/** True for the cancellations a user asked for (the server's `Cancelled`, or a cancelled token). */
export function isCancel(e: unknown): boolean {
  if (e instanceof ResponseError) return e.code === ErrorCodes.Cancelled;
  return e instanceof vscode.CancellationError || (e instanceof Error && e.name === 'Canceled');
}

/** The one line a user reads for a failure: the server's message, naming the repo and path when known. */
export function describeError(e: unknown): string {
  if (e instanceof ResponseError) {
    const data = e.data as ErrorData | undefined;
    const where = [data?.repo, data?.path].filter(Boolean).join(': ');
    const message = e.message.replace(/\.$/, '');
    return where && !message.includes(where) ? `${message} (${where})` : message;
  }
  return e instanceof Error ? e.message : String(e);
}

/** Logs `e` and shows it as `what failed: reason` with "Show Output"; a cancel shows nothing. */
export async function showError(what: string, e: unknown, output: vscode.OutputChannel): Promise<void> {
  if (isCancel(e)) return;
  const line = `${what}: ${describeError(e)}`;
  output.appendLine(`[error] ${line}`);
  if (e instanceof ResponseError && e.data) output.appendLine(`        ${JSON.stringify(e.data)}`);
  await showOutputAction(line, output, 'error');
}
