import * as vscode from 'vscode';
/** The only folder a webview may load from: media/ (scripts bundled there by scripts/build.mjs, and styles). */
export declare function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions;
/**
 * The page of a webview: one stylesheet and one script from media/, under a strict CSP. Nothing inline
 * runs: the script carries a fresh nonce, styles come only from the extension's media folder.
 */
export declare function webviewHtml(webview: vscode.Webview, extensionUri: vscode.Uri, name: 'preview' | 'history', title: string): string;
