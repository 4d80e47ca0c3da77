import * as vscode from 'vscode';

/**
 * The Campaigns tree. Empty until the client talks to the server; while it is empty VS Code shows the
 * view's welcome content (package.json `viewsWelcome`).
 */
export class CampaignsTree implements vscode.TreeDataProvider<never>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;

  refresh(): void {
    this.changed.fire();
  }

  getTreeItem(element: never): vscode.TreeItem {
    return element;
  }

  getChildren(): never[] {
    return [];
  }

  dispose(): void {
    this.changed.dispose();
  }
}
