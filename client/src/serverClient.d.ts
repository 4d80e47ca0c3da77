import * as vscode from 'vscode';
import { LanguageClient } from 'vscode-languageclient/node';
import { DidChangeParams } from '../../server/src/protocol';
/**
 * Fired on the server's `codecontext/didChange` (the store changed: this server, the CLI, another
 * window) and once with every kind when the server (re)starts, so lists re-read what they show.
 */
export declare const onDidChangeStore: vscode.Event<DidChangeParams>;
/** Fired when the server starts running (true) or stops (false). */
export declare const onDidChangeRunning: vscode.Event<boolean>;
/** The language client while the server is running; undefined while it starts, restarts or is stopped. */
export declare function getClient(): LanguageClient | undefined;
/** Resolves when the server is running (at once if it is). */
export declare function whenRunning(): Promise<void>;
/** Thrown by `requireClient` so callers show one "server not running" message instead of failing silently. */
export declare class ServerNotRunningError extends Error {
    constructor();
}
/** The running client, or a `ServerNotRunningError`. */
export declare function requireClient(): LanguageClient;
/** Restarts the server (the "CodeContext: Restart Server" command). */
export declare function restartServer(): Promise<void>;
/** Starts the server; the returned disposable stops it and releases every client-scope resource. */
export declare function startServerClient(context: vscode.ExtensionContext, output: vscode.LogOutputChannel): vscode.Disposable;
/** Stops the server and waits for it (deactivate returns this so VS Code waits too). */
export declare function stopServerClient(): Promise<void>;
/** The emitters belong to the extension scope: the extension disposes them on deactivate. */
export declare function serverClientEmitters(): vscode.Disposable[];
