import * as path from 'path';
import * as vscode from 'vscode';

/**
 * Short names for repos: the folder name, or the workspace-relative path when two repos share a
 * folder name (services/api and tools/api).
 */
export function repoNamer(repos: readonly string[]): (repo: string) => string {
  const counts = new Map<string, number>();
  for (const r of repos) counts.set(path.basename(r), (counts.get(path.basename(r)) ?? 0) + 1);
  return (repo) => {
    const base = path.basename(repo);
    return (counts.get(base) ?? 0) > 1 ? vscode.workspace.asRelativePath(repo, false) : base;
  };
}
