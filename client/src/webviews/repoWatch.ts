import * as vscode from 'vscode';
import { ReposWatchRequest } from '../../../server/src/protocol';
import { getClient, onDidChangeRepos, onDidChangeRunning } from '../serverClient';

/**
 * The repos every open preview wants watched, sent to the server as one list (the union): the
 * server watches files, index, HEAD and refs and tells which repos changed. Sent again when the
 * server (re)starts, since a new server process watches nothing.
 */
const wanted = new Map<object, readonly string[]>();
let sending = Promise.resolve();

function send(): void {
  const repos = [...new Set([...wanted.values()].flat())].sort();
  sending = sending.then(async () => {
    const client = getClient();
    if (client) await client.sendRequest(ReposWatchRequest, { repos }).then(undefined, () => undefined);
  });
}

let started: vscode.Disposable | undefined;

/** Watches `repos` for `owner` (replacing what it watched); `onChange` hears about those repos only. The result stops it. */
export function watchRepos(owner: object, repos: readonly string[], onChange: (repos: string[]) => void): vscode.Disposable {
  started ??= onDidChangeRunning((running) => running && send());
  wanted.set(owner, repos);
  send();
  const listening = onDidChangeRepos((p) => {
    const mine = p.repos.filter((r) => (wanted.get(owner) ?? []).includes(r));
    if (mine.length) onChange(mine);
  });
  return new vscode.Disposable(() => {
    listening.dispose();
    if (wanted.get(owner) !== repos) return; // replaced by a newer watch of the same owner
    wanted.delete(owner);
    send();
  });
}
