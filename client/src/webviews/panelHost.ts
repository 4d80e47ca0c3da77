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
  /** Resolves when what the page draws passes `test`, never on a preview showing only the repos planned so far; rejects after `timeoutMs`. */
  waitFor(test: (s: RenderedSnapshot) => boolean, what?: string, timeoutMs?: number): Promise<RenderedSnapshot>;
}

type Outgoing = { type: string };
type Incoming = { type: string; id?: number; snapshot?: RenderedSnapshot };

export abstract class PanelHost<ToWebview extends Outgoing, FromWebview extends Incoming> implements PanelHandle, vscode.Disposable {
  protected readonly scope: vscode.Disposable[] = [];
  private readonly ready: Promise<void>;
  private markReady!: () => void;
  private probes = new Map<number, (s: RenderedSnapshot) => void>();
  private nextProbe = 1;
  private disposed = false;
  private readonly statusWaiters = new Set<() => void>();

  constructor(readonly panel: vscode.WebviewPanel) {
    this.ready = new Promise((resolve) => (this.markReady = resolve));
    this.scope.push(
      panel.webview.onDidReceiveMessage((m: FromWebview) => this.receive(m)),
      panel.onDidDispose(() => this.dispose()),
    );
  }

  /** Posts a message; a message to a closed panel is dropped (the user closed it mid-work). */
  protected post(message: ToWebview): void {
    if (this.disposed) return;
    void this.panel.webview.postMessage(message);
    if (message.type !== 'probe' && message.type !== 'press') for (const wake of this.statusWaiters) wake();
  }

  protected abstract handle(message: FromWebview): void | Promise<void>;

  private receive(message: FromWebview): void {
    if (message.type === 'rendered' && message.id !== undefined && message.snapshot) {
      this.probes.get(message.id)?.(message.snapshot);
      this.probes.delete(message.id);
      return;
    }
    if (message.type === 'ready') this.markReady();
    void Promise.resolve(this.handle(message)).catch((e) => this.onHandlerError(e));
  }

  protected abstract onHandlerError(e: unknown): void;

  whenReady(): Promise<void> {
    return this.ready;
  }

  async rendered(): Promise<RenderedSnapshot> {
    // a probe posted before the page's script runs is never answered: the page says `ready` first
    await this.whenReady();
    const id = this.nextProbe++;
    return new Promise((resolve, reject) => {
      if (this.disposed) return reject(new Error('the panel is closed'));
      this.probes.set(id, resolve);
      this.post({ type: 'probe', id } as unknown as ToWebview);
    });
  }

  async press(action: string, key?: string): Promise<void> {
    await this.whenReady();
    this.post({ type: 'press', action, ...(key !== undefined ? { key } : {}) } as unknown as ToWebview);
    await this.rendered(); // the page handles messages in order: the click has run once it answers
  }

  waitForStatus(text: string | RegExp, timeoutMs = 60_000): Promise<RenderedSnapshot> {
    const matches = (s: RenderedSnapshot) => (typeof text === 'string' ? s.status.includes(text) : text.test(s.status));
    return this.waitFor(matches, `status matching ${String(text)}`, timeoutMs);
  }

  /** Re-probes each time the extension posts something, until `test` holds: no polling, no sleep. */
  async waitFor(test: (s: RenderedSnapshot) => boolean, what = 'the page', timeoutMs = 60_000): Promise<RenderedSnapshot> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      // listen before probing, so a post that lands between the probe and the wait is not missed
      let wake!: () => void;
      const changed = new Promise<void>((resolve) => (wake = resolve));
      const timer = setTimeout(wake, Math.max(0, deadline - Date.now()));
      this.statusWaiters.add(wake);
      const snapshot = await this.rendered();
      // the repos planned so far are no plan: what a caller waits for is on a page that is not provisional
      if (!snapshot.planning && test(snapshot)) {
        this.statusWaiters.delete(wake);
        clearTimeout(timer);
        return snapshot;
      }
      if (Date.now() >= deadline) throw new Error(`timed out waiting for ${what}; the page shows: ${JSON.stringify(snapshot)}`);
      await changed;
      this.statusWaiters.delete(wake);
      clearTimeout(timer);
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const wake of this.statusWaiters) wake();
    this.probes.clear();
    for (const d of this.scope.splice(0)) d.dispose();
    this.panel.dispose();
    this.onDisposed();
  }

  protected onDisposed(): void {}
}
