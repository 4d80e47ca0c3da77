import * as vscode from 'vscode';
import { ReposListRequest } from '../../server/src/protocol';
import { getClient, onDidChangeRunning } from './serverClient';

/**
 * The `codecontext.noRepos` context key: true when the server's discovery found no git repository
 * under the workspace folders. The welcome views read it, so an empty folder is said before the
 * user types a campaign name, not after. Asked again when the server starts, when folders change, and
 * when a repo appears or goes in them.
 */
export function trackWorkspaceRepos(): vscode.Disposable & { noRepos(): Promise<boolean | undefined> } {
  let none: boolean | undefined;
  let latest: Promise<void> = Promise.resolve();
  const ask = (refresh: boolean) => (latest = askNow(refresh));
  const askNow = async (refresh: boolean) => {
    const client = getClient();
    if (!client) return;
    try {
      const { repos } = await client.sendRequest(ReposListRequest, { refresh });
      none = repos.length === 0;
    } catch {
      none = undefined; // unknown: the welcome views stay as they were
      return;
    }
    await vscode.commands.executeCommand('setContext', 'codecontext.noRepos', none);
  };
  const subscriptions = [
    onDidChangeRunning((running) => {
      if (running) void ask(false);
    }),
    vscode.workspace.onDidChangeWorkspaceFolders(() => void ask(true)),
  ];
  // a repo made (git init, a clone) or removed in an open folder changes the answer too
  const heads = vscode.workspace.createFileSystemWatcher('**/.git/HEAD', false, true, false);
  subscriptions.push(
    heads,
    heads.onDidCreate(() => void ask(true)),
    heads.onDidDelete(() => void ask(true)),
  );
  if (getClient()) void ask(false);
  return Object.assign(vscode.Disposable.from(...subscriptions), { noRepos: () => latest.then(() => none) });
}
