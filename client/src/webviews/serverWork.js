"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.sendWithProgress = sendWithProgress;
exports.whenServerRunning = whenServerRunning;
const crypto_1 = require("crypto");
const node_1 = require("vscode-languageclient/node");
const serverClient_1 = require("../serverClient");
/**
 * Sends a long request with a work-done token of our own, so its progress is drawn in the webview that
 * started it (not in a global notification), and with a cancellation source the panel's Cancel button
 * and its disposal trigger. `onReport` gets each report's `detail` (phase, done/total, repo).
 */
async function sendWithProgress(type, params, onReport, cancel) {
    const client = (0, serverClient_1.requireClient)();
    const token = `codecontext-webview-${(0, crypto_1.randomUUID)()}`;
    const listening = client.onProgress(node_1.WorkDoneProgress.type, token, (value) => {
        if (value.kind === 'report')
            onReport(value.detail, value.message);
    });
    try {
        // the library types params as `RequestParam<P>`, a conditional type a generic P does not reduce to
        const withToken = { ...params, workDoneToken: token };
        return await client.sendRequest(type, withToken, cancel.token);
    }
    finally {
        listening.dispose();
    }
}
/**
 * Resolves once the server runs (at once if it does), so a panel opened while the extension is still
 * starting loads instead of failing; after `timeoutMs` it resolves anyway and the caller's request
 * reports "the server is not running".
 */
function whenServerRunning(timeoutMs = 30_000) {
    if ((0, serverClient_1.getClient)())
        return Promise.resolve();
    return new Promise((resolve) => {
        const done = () => {
            clearTimeout(timer);
            listening.dispose();
            resolve();
        };
        const timer = setTimeout(done, timeoutMs);
        const listening = (0, serverClient_1.onDidChangeRunning)((running) => running && done());
    });
}
//# sourceMappingURL=serverWork.js.map