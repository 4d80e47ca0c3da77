import * as vscode from 'vscode';
/** Shows `text` with a "Show Output" action that reveals `output`. */
export declare function showOutputAction(text: string, output: vscode.OutputChannel, level: 'info' | 'warning' | 'error'): Promise<void>;
/** True for the cancellations a user asked for (the server's `Cancelled`, or a cancelled token). */
export declare function isCancel(e: unknown): boolean;
/** The one line a user reads for a failure: the server's message, naming the repo and path when known. */
export declare function describeError(e: unknown): string;
/** Logs `e` and shows it as `what failed: reason` with "Show Output"; a cancel shows nothing. */
export declare function showError(what: string, e: unknown, output: vscode.OutputChannel): Promise<void>;
