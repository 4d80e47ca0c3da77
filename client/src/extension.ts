import * as vscode from 'vscode';
import { CampaignsTree } from './views/campaignsView';

/** Registers the views and commands; everything goes into the extension's disposal scope. */
export function activate(context: vscode.ExtensionContext): void {
  const campaigns = new CampaignsTree();
  context.subscriptions.push(
    campaigns,
    vscode.window.createTreeView('codecontext.campaigns', { treeDataProvider: campaigns }),
    vscode.commands.registerCommand('codecontext.refresh', () => campaigns.refresh()),
  );
}

export function deactivate(): void {}
