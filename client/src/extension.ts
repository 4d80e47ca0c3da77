import * as vscode from 'vscode';
import { registerBlobDocuments } from './diff/blobDocuments';
import { serverClientEmitters, startServerClient, stopServerClient } from './serverClient';
import { CampaignsTree } from './views/campaignsView';

/**
 * Activation: the output channel, the server client, the `codecontext:` documents, the views and
 * the commands. Everything goes into the extension's disposal scope (`context.subscriptions`); the
 * server client keeps its own scope and releases it when it stops.
 */
export function activate(context: vscode.ExtensionContext): void {
  const output = vscode.window.createOutputChannel('CodeContext', { log: true });
  context.subscriptions.push(output, ...serverClientEmitters(), startServerClient(context, output), registerBlobDocuments());
  const campaigns = new CampaignsTree();
  context.subscriptions.push(
    campaigns,
    vscode.window.createTreeView('codecontext.campaigns', { treeDataProvider: campaigns }),
    vscode.commands.registerCommand('codecontext.refresh', () => campaigns.refresh()),
  );
}

/** Stops the server and waits for it; the subscriptions are disposed by VS Code after this. */
export function deactivate(): Promise<void> {
  return stopServerClient();
}
