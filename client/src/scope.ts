import * as path from 'path';
import * as vscode from 'vscode';

/**
 * What this window's lists show (issue 25, item 3): by default only what touches a repo at or below
 * its open folders, as VS Code's Source Control view shows only the window's repos; other work in a
 * shared store is one explicit "Show All Campaigns" away, and then each repo outside the folders is
 * named by its path. The views, the pickers and the status bar ask `listScope()` for their requests.
 */
let showAll = false;

export function listScope(): { openFoldersOnly?: boolean } {
  return showAll ? {} : { openFoldersOnly: true };
}

export function showingAll(): boolean {
  return showAll;
}

/** Shows everything in the store (true) or the open folders' work only; the `codecontext.showingAll` context key follows. */
export async function setShowAll(all: boolean): Promise<void> {
  showAll = all;
  await vscode.commands.executeCommand('setContext', 'codecontext.showingAll', all);
}

/** Is `repo` (an absolute path) at or below a folder of this window? */
export function inOpenFolders(repo: string): boolean {
  return (vscode.workspace.workspaceFolders ?? []).some((f) => {
    const folder = f.uri.fsPath;
    return repo === folder || repo.startsWith(folder.endsWith(path.sep) ? folder : folder + path.sep);
  });
}

/** The repos of `repos` outside this window's folders: a rollback names each by its path before it reaches one. */
export function outsideOpenFolders(repos: readonly string[]): string[] {
  return repos.filter((r) => !inOpenFolders(r));
}

/** A repo as a tree names it: its folder name, and its path too when it is outside this window's folders ("Show All Campaigns"). */
export function repoLabel(repo: string): string {
  return inOpenFolders(repo) ? path.basename(repo) : `${path.basename(repo)} (${repo})`;
}
