import * as vscode from 'vscode';
import { ReposWatchRequest } from '../../../server/src/protocol';
import { getClient, onDidChangeRepos, onDidChangeRunning } from '../serverClient';

/**
 * The repos every open preview wants watched, sent to the server as one list (the union), and only
 * when the union changes: a watcher the server closes and opens again misses what happens between.
 * Sent again when the server (re)starts, since a new server process watches nothing.
 */
const wanted = new Map<RepoWatch, readonly string[]>();
let sent: string | undefined;
let sending = Promise.resolve();
let restarts: vscode.Disposable | undefined;

function sync(force = false): void {
  const repos = [...new Set([...wanted.values()].flat())].sort();
  const key = JSON.stringify(repos);
  if (key === sent && !force) return;
  sent = key;
  sending = sending.then(async () => {
    const client = getClient();
    if (client) await client.sendRequest(ReposWatchRequest, { repos }).then(undefined, () => undefined);
  });
}

/** One panel's watch: `set` the repos it shows; `onChange` hears about those repos only. */
export class RepoWatch implements vscode.Disposable {
  private readonly listening: vscode.Disposable;

  constructor(onChange: (repos: string[]) => void) {
    restarts ??= onDidChangeRunning((running) => running && sync(true));
    this.listening = onDidChangeRepos((p) => {
      const mine = p.repos.filter((r) => (wanted.get(this) ?? []).includes(r));
      if (mine.length) onChange(mine);
    });
  }

  set(repos: readonly string[]): void {
    wanted.set(this, [...repos]);
    sync();
  }

  dispose(): void {
    this.listening.dispose();
    wanted.delete(this);
    sync();
  }
}
