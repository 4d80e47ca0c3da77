import * as vscode from 'vscode';

/** Placeholder until the client issue: activates and does nothing, so the manifest and build are real. */
export function activate(_context: vscode.ExtensionContext): void {}

export function deactivate(): void {}
