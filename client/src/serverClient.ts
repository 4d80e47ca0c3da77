import * as path from 'path';
import * as vscode from 'vscode';
import { CloseAction, ErrorAction, LanguageClient, LanguageClientOptions, ServerOptions, State, TransportKind } from 'vscode-languageclient/node';
import {
  DidChangeNotification,
  DidChangeParams,
  InitializationOptions,
  RecoveredNotification,
  RecoveredParams,
  ReposChangedNotification,
  ReposChangedParams,
} from '../../server/src/protocol';
import { showOutputAction } from './output';
import { showProgress } from './request';

/**
 * The one connection to the CodeContext server process, and the accessors the rest of the client
 * (trees, commands, webviews) use. The server is the bundled dist/server.js over Node IPC; it is
 * restarted when it dies (a few times, then the user is told). Two disposal scopes: what lives as
 * long as the extension (the emitters, the output channel: the caller's scope) and what lives as long
 * as one client (its handlers: `clientScope`, disposed with the client).
 */

const storeChanged = new vscode.EventEmitter<DidChangeParams>();
const runningChanged = new vscode.EventEmitter<boolean>();
const reposChanged = new vscode.EventEmitter<ReposChangedParams>();

/**
 * Fired on the server's `codecontext/didChange` (the store changed: this server, the CLI, another
 * window) and once with every kind when the server (re)starts, so lists re-read what they show.
 */
export const onDidChangeStore: vscode.Event<DidChangeParams> = storeChanged.event;

/** Fired when the server starts running (true) or stops (false). */
export const onDidChangeRunning: vscode.Event<boolean> = runningChanged.event;
/** Fires when repos named by `ReposWatchRequest` changed on disk (the server watches, debounced). */
export const onDidChangeRepos: vscode.Event<ReposChangedParams> = reposChanged.event;

let current: ServerClient | undefined;

/** The language client while the server is running; undefined while it starts, restarts or is stopped. */
export function getClient(): LanguageClient | undefined {
  return current?.running ? current.client : undefined;
}

/** Resolves when the server is running (at once if it is). */
export function whenRunning(): Promise<void> {
  if (getClient()) return Promise.resolve();
  return new Promise((resolve) => {
    const listener = onDidChangeRunning((running) => {
      if (running) {
        listener.dispose();
        resolve();
      }
    });
  });
}

/**
 * The server process's id, for the e2e test that kills it mid-command (issue 25, item 7): the node
 * language client keeps the child it spawned in a field of its own; undefined when there is none.
 */
export function serverPid(): number | undefined {
  return (current?.client as unknown as { _serverProcess?: { pid?: number } } | undefined)?._serverProcess?.pid;
}

/** A request that failed because the server went away under it (killed, crashed), not because it answered an error. */
export function serverWentAway(e: unknown): boolean {
  const code = (e as { code?: unknown } | undefined)?.code;
  const message = e instanceof Error ? e.message : String(e);
  // vscode-jsonrpc's PendingResponseRejected (-32097), and the words of a connection that closed
  return code === -32097 || /connection got disposed|connection is (closed|disposed)/i.test(message);
}

/** Thrown by `requireClient` so callers show one "server not running" message instead of failing silently. */
export class ServerNotRunningError extends Error {
  constructor() {
    super('The CodeContext server is not running.');
  }
}

/** The running client, or a `ServerNotRunningError`. */
export function requireClient(): LanguageClient {
  const client = getClient();
  if (!client) throw new ServerNotRunningError();
  return client;
}

/** Restarts the server (the "CodeContext: Restart Server" command). */
export async function restartServer(): Promise<void> {
  if (!current) throw new ServerNotRunningError();
  await current.restart();
}

/** Starts the server; the returned disposable stops it and releases every client-scope resource. */
export function startServerClient(context: vscode.ExtensionContext, output: vscode.LogOutputChannel): vscode.Disposable {
  const server = new ServerClient(context, output);
  current = server;
  void server.start();
  return new vscode.Disposable(() => {
    if (current === server) current = undefined;
    void server.dispose();
  });
}

/** Stops the server and waits for it (deactivate returns this so VS Code waits too). */
export async function stopServerClient(): Promise<void> {
  const server = current;
  current = undefined;
  await server?.dispose();
}

/** The emitters belong to the extension scope: the extension disposes them on deactivate. */
export function serverClientEmitters(): vscode.Disposable[] {
  return [storeChanged, runningChanged, reposChanged];
}

const allKinds: DidChangeParams['kinds'] = ['campaigns', 'snapshots', 'rollbacks'];
/** More restarts than this within `restartWindowMs` and the server stays down (it is crashing at start). */
const maxRestarts = 4;
const restartWindowMs = 3 * 60_000;

class ServerClient {
  readonly client: LanguageClient;
  running = false;
  private readonly clientScope: vscode.Disposable[] = [];
  private disposed?: Promise<void>;
  private readonly restarts: number[] = [];
  /** Shown while the server is down and not restarted: a click restarts it. */
  private readonly stoppedItem = vscode.window.createStatusBarItem('codecontext.serverStopped', vscode.StatusBarAlignment.Left, 11);

  constructor(
    context: vscode.ExtensionContext,
    private readonly output: vscode.LogOutputChannel,
  ) {
    const module = context.asAbsolutePath(path.join('dist', 'server.js'));
    const serverOptions: ServerOptions = {
      run: { module, transport: TransportKind.ipc },
      debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6019'] } },
    };
    const storePath = vscode.workspace.getConfiguration('codecontext').get<string>('storePath') || undefined;
    const initializationOptions: InitializationOptions = { storePath };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [],
      outputChannel: output,
      initializationOptions,
      synchronize: { configurationSection: 'codecontext' },
      errorHandler: {
        // a write to a server that just died (EPIPE): `closed` says what happens next, so no toast of the library's own
        error: (e) => {
          this.output.appendLine(`the connection to the CodeContext server failed: ${e.message}`);
          return { action: ErrorAction.Continue, handled: true };
        },
        closed: () => this.closed(),
      },
    };
    this.client = new LanguageClient('codecontext', 'CodeContext', serverOptions, clientOptions);
    this.stoppedItem.name = 'CodeContext Server';
    this.stoppedItem.text = '$(error) CodeContext server stopped';
    this.stoppedItem.tooltip = 'The CodeContext server stopped and was not restarted. Click to restart it.';
    this.stoppedItem.command = { command: 'codecontext.restartServer', title: 'Restart Server' };
    this.stoppedItem.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
    this.clientScope.push(
      this.stoppedItem,
      this.client.onDidChangeState(({ newState }) => this.setRunning(newState === State.Running)),
      this.client.onNotification(DidChangeNotification, (p) => storeChanged.fire(p)),
      this.client.onNotification(ReposChangedNotification, (p) => reposChanged.fire(p)),
      this.client.onNotification(RecoveredNotification, (p) => void this.showRecovered(p)),
    );
  }

  async start(): Promise<void> {
    try {
      await this.client.start();
    } catch (e) {
      this.output.appendLine(`the CodeContext server did not start: ${(e as Error).message}`);
      void showOutputAction(`The CodeContext server did not start: ${(e as Error).message}`, this.output, 'error');
    }
  }

  async restart(): Promise<void> {
    this.restarts.length = 0;
    await this.client.restart();
  }

  dispose(): Promise<void> {
    this.disposed ??= this.stop();
    return this.disposed;
  }

  private async stop(): Promise<void> {
    for (const d of this.clientScope.splice(0)) d.dispose();
    this.setRunning(false);
    try {
      await this.client.stop(2000);
    } catch {
      // already stopped or never started: nothing is left to release
    }
    await this.client.dispose().catch(() => undefined);
  }

  private setRunning(running: boolean): void {
    if (running === this.running) return;
    this.running = running;
    if (running) this.stoppedItem.hide();
    runningChanged.fire(running);
    // a (re)started server may have missed changes while it was down: every list re-reads
    if (running) storeChanged.fire({ kinds: [...allKinds] });
  }

  private closed(): { action: CloseAction; message?: string; handled?: boolean } {
    const now = Date.now();
    this.restarts.push(now);
    while (this.restarts.length && this.restarts[0] < now - restartWindowMs) this.restarts.shift();
    if (this.restarts.length <= maxRestarts) {
      this.output.appendLine(`the CodeContext server stopped; restarting (${this.restarts.length} of ${maxRestarts} within 3 minutes)`);
      return { action: CloseAction.Restart, handled: true };
    }
    // no dead end, and nothing stale (issue 25, item 7): the notice is a progress notification, which (unlike a message)
    // code can close, and it closes once the server runs again, however it was restarted; `handled` keeps the library's
    // own "will not be restarted" toast away. The status bar item and "CodeContext: Restart Server" restart it.
    const times = this.restarts.length;
    this.output.appendLine(`the CodeContext server stopped ${times} times in 3 minutes and was not restarted`);
    this.stoppedItem.show();
    void showProgress({ location: vscode.ProgressLocation.Notification, title: 'CodeContext', cancellable: true }, (progress, token) => {
      progress.report({
        message:
          `The server stopped ${times} times in 3 minutes and was not restarted. Restart it from the status bar or with ` +
          '"CodeContext: Restart Server" once the cause is fixed ("CodeContext: Show Output" says what stopped it).',
      });
      return new Promise<void>((resolve) => {
        const done = () => {
          back.dispose();
          dismissed.dispose();
          resolve();
        };
        const back = onDidChangeRunning((running) => running && done());
        const dismissed = token.onCancellationRequested(done);
      });
    });
    return { action: CloseAction.DoNotRestart, handled: true };
  }

  private async showRecovered(p: RecoveredParams): Promise<void> {
    for (const r of p.reports) this.output.appendLine(`recovered: ${r.message}`);
    const waiting = p.reports.filter((r) => r.action === 'needs-confirmation');
    if (waiting.length) {
      // the server left these alone: repos were edited since the crash, and a person decides
      const files = waiting.flatMap((r) => (r.kept ?? []).flatMap((k) => k.paths.map((f) => `${k.repo.split(/[\\/]/).pop()}/${f}`)));
      const choice = await vscode.window.showWarningMessage(
        `An interrupted rollback needs recovering, and files were changed since: ` +
          `${files.slice(0, 5).join(', ') || 'HEAD moved'}${files.length > 5 ? ` and ${files.length - 5} more` : ''}. ` +
          'Recovering keeps those changes and puts the rest back.',
        { modal: false },
        'Recover',
        'Show Output',
      );
      if (choice === 'Recover') await vscode.commands.executeCommand('codecontext.recover');
      else if (choice === 'Show Output') this.output.show();
      if (waiting.length === p.reports.length) return;
    }
    const text =
      p.reports.length === 1
        ? `CodeContext finished an interrupted rollback: ${p.reports[0].message}`
        : `CodeContext finished ${p.reports.length} interrupted rollbacks. See the output for what was done.`;
    await showOutputAction(text, this.output, 'info');
  }
}
