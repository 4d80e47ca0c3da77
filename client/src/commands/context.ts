import * as vscode from 'vscode';

/** What commands share: the output channel for details, and a way to have every view re-read. */
export interface CommandContext {
  output: vscode.LogOutputChannel;
  refresh(): void;
}
