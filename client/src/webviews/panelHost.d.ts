import * as vscode from 'vscode';
import type { RenderedSnapshot } from './messages';
/**
 * What the two panels share: typed posting, the `ready` handshake, the disposal scope, and the hook
 * the e2e tests drive a panel with (`probe` asks the page what it draws; `press` clicks one of its
 * own buttons, through the same handler a mouse click runs).
 */
export interface PanelHandle {
    readonly panel: vscode.WebviewPanel;
    /** Resolves once the page has loaded and asked for its data. */
    whenReady(): Promise<void>;
    /** What the page draws now (a message round-trip). */
    rendered(): Promise<RenderedSnapshot>;
    /** Clicks the page's button `action` (`key`: the row, for per-row controls). */
    press(action: string, key?: string): Promise<void>;
    /** Resolves when the page's status line contains `text`; rejects after `timeoutMs`. */
    waitForStatus(text: string | RegExp, timeoutMs?: number): Promise<RenderedSnapshot>;
    /** Resolves when what the page draws passes `test`; rejects after `timeoutMs`. */
    waitFor(test: (s: RenderedSnapshot) => boolean, what?: string, timeoutMs?: number): Promise<RenderedSnapshot>;
}
type Outgoing = {
    type: string;
};
type Incoming = {
    type: string;
    id?: number;
    snapshot?: RenderedSnapshot;
};
export declare abstract class PanelHost<ToWebview extends Outgoing, FromWebview extends Incoming> implements PanelHandle, vscode.Disposable {
    readonly panel: vscode.WebviewPanel;
    protected readonly scope: vscode.Disposable[];
    private readonly ready;
    private markReady;
    private probes;
    private nextProbe;
    private disposed;
    private readonly statusWaiters;
    constructor(panel: vscode.WebviewPanel);
    /** Posts a message; a message to a closed panel is dropped (the user closed it mid-work). */
    protected post(message: ToWebview): void;
    protected abstract handle(message: FromWebview): void | Promise<void>;
    private receive;
    protected abstract onHandlerError(e: unknown): void;
    whenReady(): Promise<void>;
    rendered(): Promise<RenderedSnapshot>;
    press(action: string, key?: string): Promise<void>;
    waitForStatus(text: string | RegExp, timeoutMs?: number): Promise<RenderedSnapshot>;
    /** Re-probes each time the extension posts something, until `test` holds: no polling, no sleep. */
    waitFor(test: (s: RenderedSnapshot) => boolean, what?: string, timeoutMs?: number): Promise<RenderedSnapshot>;
    dispose(): void;
    protected onDisposed(): void;
}
export {};
