"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.PanelHost = void 0;
class PanelHost {
    panel;
    scope = [];
    ready;
    markReady;
    probes = new Map();
    nextProbe = 1;
    disposed = false;
    statusWaiters = new Set();
    constructor(panel) {
        this.panel = panel;
        this.ready = new Promise((resolve) => (this.markReady = resolve));
        this.scope.push(panel.webview.onDidReceiveMessage((m) => this.receive(m)), panel.onDidDispose(() => this.dispose()));
    }
    /** Posts a message; a message to a closed panel is dropped (the user closed it mid-work). */
    post(message) {
        if (this.disposed)
            return;
        void this.panel.webview.postMessage(message);
        if (message.type !== 'probe' && message.type !== 'press')
            for (const wake of this.statusWaiters)
                wake();
    }
    receive(message) {
        if (message.type === 'rendered' && message.id !== undefined && message.snapshot) {
            this.probes.get(message.id)?.(message.snapshot);
            this.probes.delete(message.id);
            return;
        }
        if (message.type === 'ready')
            this.markReady();
        void Promise.resolve(this.handle(message)).catch((e) => this.onHandlerError(e));
    }
    whenReady() {
        return this.ready;
    }
    rendered() {
        const id = this.nextProbe++;
        return new Promise((resolve, reject) => {
            if (this.disposed)
                return reject(new Error('the panel is closed'));
            this.probes.set(id, resolve);
            this.post({ type: 'probe', id });
        });
    }
    async press(action, key) {
        await this.whenReady();
        this.post({ type: 'press', action, ...(key !== undefined ? { key } : {}) });
        await this.rendered(); // the page handles messages in order: the click has run once it answers
    }
    waitForStatus(text, timeoutMs = 60_000) {
        const matches = (s) => (typeof text === 'string' ? s.status.includes(text) : text.test(s.status));
        return this.waitFor(matches, `status matching ${String(text)}`, timeoutMs);
    }
    /** Re-probes each time the extension posts something, until `test` holds: no polling, no sleep. */
    async waitFor(test, what = 'the page', timeoutMs = 60_000) {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
            // listen before probing, so a post that lands between the probe and the wait is not missed
            let wake;
            const changed = new Promise((resolve) => (wake = resolve));
            const timer = setTimeout(wake, Math.max(0, deadline - Date.now()));
            this.statusWaiters.add(wake);
            const snapshot = await this.rendered();
            if (test(snapshot)) {
                this.statusWaiters.delete(wake);
                clearTimeout(timer);
                return snapshot;
            }
            if (Date.now() >= deadline)
                throw new Error(`timed out waiting for ${what}; the page shows: ${JSON.stringify(snapshot)}`);
            await changed;
            this.statusWaiters.delete(wake);
            clearTimeout(timer);
        }
    }
    dispose() {
        if (this.disposed)
            return;
        this.disposed = true;
        for (const wake of this.statusWaiters)
            wake();
        this.probes.clear();
        for (const d of this.scope.splice(0))
            d.dispose();
        this.panel.dispose();
        this.onDisposed();
    }
    onDisposed() { }
}
exports.PanelHost = PanelHost;
//# sourceMappingURL=panelHost.js.map