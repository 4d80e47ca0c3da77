import { randomBytes } from 'crypto';
import * as vscode from 'vscode';

/** The only folder a webview may load from: media/ (scripts bundled there by scripts/build.mjs, and styles). */
export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions {
  return {
    enableScripts: true,
    enableCommandUris: false,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'media')],
    // the panel keeps its drawn state (checkboxes, open diffs) while it is in a background tab
    retainContextWhenHidden: true,
  };
}

/** A new panel in the active column, with the extension's icon and the page `name` from media/. */
export function createPanel(extensionUri: vscode.Uri, viewType: string, name: 'preview' | 'history' | 'evidence', title: string): vscode.WebviewPanel {
  const panel = vscode.window.createWebviewPanel(viewType, title, vscode.ViewColumn.Active, webviewOptions(extensionUri));
  panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'codecontext.svg');
  panel.webview.html = webviewHtml(panel.webview, extensionUri, name, title);
  return panel;
}

/**
 * The page of a webview: one stylesheet and one script from media/, under a strict CSP. Nothing inline
 * runs: the script carries a fresh nonce, styles come only from the extension's media folder.
 */
export function webviewHtml(webview: vscode.Webview, extensionUri: vscode.Uri, name: 'preview' | 'history' | 'evidence', title: string): string {
  const nonce = randomBytes(16).toString('base64');
  const media = (file: string) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', file));
  const csp = [
    "default-src 'none'",
    `style-src ${webview.cspSource}`,
    `font-src ${webview.cspSource}`,
    `img-src ${webview.cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${media('common.css')}">
<link rel="stylesheet" href="${media(`${name}.css`)}">
<title>${escapeHtml(title)}</title>
</head>
<body>
<main id="app" aria-busy="true"><p class="muted" role="status">Loading…</p></main>
<script nonce="${nonce}" src="${media(`${name}.js`)}"></script>
</body>
</html>`;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
