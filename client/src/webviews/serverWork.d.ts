import * as vscode from 'vscode';
import { CancellationTokenSource, RequestType, WorkDoneProgressParams } from 'vscode-languageclient/node';
import type { ProgressDetail } from '../../../server/src/protocol';
/**
 * Sends a long request with a work-done token of our own, so its progress is drawn in the webview that
 * started it (not in a global notification), and with a cancellation source the panel's Cancel button
 * and its disposal trigger. `onReport` gets each report's `detail` (phase, done/total, repo).
 */
export declare function sendWithProgress<P extends WorkDoneProgressParams, R, E>(type: RequestType<P, R, E>, params: P, onReport: (detail: ProgressDetail | undefined, message: string | undefined) => void, cancel: CancellationTokenSource | vscode.CancellationTokenSource): Promise<R>;
/**
 * Resolves once the server runs (at once if it does), so a panel opened while the extension is still
 * starting loads instead of failing; after `timeoutMs` it resolves anyway and the caller's request
 * reports "the server is not running".
 */
export declare function whenServerRunning(timeoutMs?: number): Promise<void>;
