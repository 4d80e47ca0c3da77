"use strict";
var __createBinding = (this && this.__createBinding) || (Object.create ? (function(o, m, k, k2) {
    if (k2 === undefined) k2 = k;
    var desc = Object.getOwnPropertyDescriptor(m, k);
    if (!desc || ("get" in desc ? !m.__esModule : desc.writable || desc.configurable)) {
      desc = { enumerable: true, get: function() { return m[k]; } };
    }
    Object.defineProperty(o, k2, desc);
}) : (function(o, m, k, k2) {
    if (k2 === undefined) k2 = k;
    o[k2] = m[k];
}));
var __setModuleDefault = (this && this.__setModuleDefault) || (Object.create ? (function(o, v) {
    Object.defineProperty(o, "default", { enumerable: true, value: v });
}) : function(o, v) {
    o["default"] = v;
});
var __importStar = (this && this.__importStar) || (function () {
    var ownKeys = function(o) {
        ownKeys = Object.getOwnPropertyNames || function (o) {
            var ar = [];
            for (var k in o) if (Object.prototype.hasOwnProperty.call(o, k)) ar[ar.length] = k;
            return ar;
        };
        return ownKeys(o);
    };
    return function (mod) {
        if (mod && mod.__esModule) return mod;
        var result = {};
        if (mod != null) for (var k = ownKeys(mod), i = 0; i < k.length; i++) if (k[i] !== "default") __createBinding(result, mod, k[i]);
        __setModuleDefault(result, mod);
        return result;
    };
})();
Object.defineProperty(exports, "__esModule", { value: true });
exports.ServerNotRunningError = exports.onDidChangeRunning = exports.onDidChangeStore = void 0;
exports.getClient = getClient;
exports.whenRunning = whenRunning;
exports.requireClient = requireClient;
exports.restartServer = restartServer;
exports.startServerClient = startServerClient;
exports.stopServerClient = stopServerClient;
exports.serverClientEmitters = serverClientEmitters;
const path = __importStar(require("path"));
const vscode = __importStar(require("vscode"));
const node_1 = require("vscode-languageclient/node");
const protocol_1 = require("../../server/src/protocol");
const output_1 = require("./output");
/**
 * The one connection to the CodeContext server process, and the accessors the rest of the client
 * (trees, commands, webviews) use. The server is the bundled dist/server.js over Node IPC; it is
 * restarted when it dies (a few times, then the user is told). Two disposal scopes: what lives as
 * long as the extension (the emitters, the output channel: the caller's scope) and what lives as long
 * as one client (its handlers: `clientScope`, disposed with the client).
 */
const storeChanged = new vscode.EventEmitter();
const runningChanged = new vscode.EventEmitter();
/**
 * Fired on the server's `codecontext/didChange` (the store changed: this server, the CLI, another
 * window) and once with every kind when the server (re)starts, so lists re-read what they show.
 */
exports.onDidChangeStore = storeChanged.event;
/** Fired when the server starts running (true) or stops (false). */
exports.onDidChangeRunning = runningChanged.event;
let current;
/** The language client while the server is running; undefined while it starts, restarts or is stopped. */
function getClient() {
    return current?.running ? current.client : undefined;
}
/** Resolves when the server is running (at once if it is). */
function whenRunning() {
    if (getClient())
        return Promise.resolve();
    return new Promise((resolve) => {
        const listener = (0, exports.onDidChangeRunning)((running) => {
            if (running) {
                listener.dispose();
                resolve();
            }
        });
    });
}
/** Thrown by `requireClient` so callers show one "server not running" message instead of failing silently. */
class ServerNotRunningError extends Error {
    constructor() {
        super('The CodeContext server is not running.');
    }
}
exports.ServerNotRunningError = ServerNotRunningError;
/** The running client, or a `ServerNotRunningError`. */
function requireClient() {
    const client = getClient();
    if (!client)
        throw new ServerNotRunningError();
    return client;
}
/** Restarts the server (the "CodeContext: Restart Server" command). */
async function restartServer() {
    if (!current)
        throw new ServerNotRunningError();
    await current.restart();
}
/** Starts the server; the returned disposable stops it and releases every client-scope resource. */
function startServerClient(context, output) {
    const server = new ServerClient(context, output);
    current = server;
    void server.start();
    return new vscode.Disposable(() => {
        if (current === server)
            current = undefined;
        void server.dispose();
    });
}
/** Stops the server and waits for it (deactivate returns this so VS Code waits too). */
async function stopServerClient() {
    const server = current;
    current = undefined;
    await server?.dispose();
}
/** The emitters belong to the extension scope: the extension disposes them on deactivate. */
function serverClientEmitters() {
    return [storeChanged, runningChanged];
}
const allKinds = ['campaigns', 'snapshots', 'rollbacks'];
/** More restarts than this within `restartWindowMs` and the server stays down (it is crashing at start). */
const maxRestarts = 4;
const restartWindowMs = 3 * 60_000;
class ServerClient {
    output;
    client;
    running = false;
    clientScope = [];
    disposed;
    restarts = [];
    constructor(context, output) {
        this.output = output;
        const module = context.asAbsolutePath(path.join('dist', 'server.js'));
        const serverOptions = {
            run: { module, transport: node_1.TransportKind.ipc },
            debug: { module, transport: node_1.TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6019'] } },
        };
        const storePath = vscode.workspace.getConfiguration('codecontext').get('storePath') || undefined;
        const initializationOptions = { storePath };
        const clientOptions = {
            documentSelector: [],
            outputChannel: output,
            initializationOptions,
            synchronize: { configurationSection: 'codecontext' },
            errorHandler: {
                error: () => ({ action: node_1.ErrorAction.Continue }),
                closed: () => this.closed(),
            },
        };
        this.client = new node_1.LanguageClient('codecontext', 'CodeContext', serverOptions, clientOptions);
        this.clientScope.push(this.client.onDidChangeState(({ newState }) => this.setRunning(newState === node_1.State.Running)), this.client.onNotification(protocol_1.DidChangeNotification, (p) => storeChanged.fire(p)), this.client.onNotification(protocol_1.RecoveredNotification, (p) => void this.showRecovered(p)));
    }
    async start() {
        try {
            await this.client.start();
        }
        catch (e) {
            this.output.appendLine(`the CodeContext server did not start: ${e.message}`);
            void (0, output_1.showOutputAction)(`The CodeContext server did not start: ${e.message}`, this.output, 'error');
        }
    }
    async restart() {
        this.restarts.length = 0;
        await this.client.restart();
    }
    dispose() {
        this.disposed ??= this.stop();
        return this.disposed;
    }
    async stop() {
        for (const d of this.clientScope.splice(0))
            d.dispose();
        this.setRunning(false);
        try {
            await this.client.stop(2000);
        }
        catch {
            // already stopped or never started: nothing is left to release
        }
        await this.client.dispose().catch(() => undefined);
    }
    setRunning(running) {
        if (running === this.running)
            return;
        this.running = running;
        runningChanged.fire(running);
        // a (re)started server may have missed changes while it was down: every list re-reads
        if (running)
            storeChanged.fire({ kinds: [...allKinds] });
    }
    closed() {
        const now = Date.now();
        this.restarts.push(now);
        while (this.restarts.length && this.restarts[0] < now - restartWindowMs)
            this.restarts.shift();
        if (this.restarts.length <= maxRestarts) {
            this.output.appendLine(`the CodeContext server stopped; restarting (${this.restarts.length} of ${maxRestarts} within 3 minutes)`);
            return { action: node_1.CloseAction.Restart, handled: true };
        }
        void (0, output_1.showOutputAction)(`The CodeContext server stopped ${this.restarts.length} times in 3 minutes and will not be restarted. Use "CodeContext: Restart Server" after fixing the cause.`, this.output, 'error');
        return { action: node_1.CloseAction.DoNotRestart, handled: true };
    }
    async showRecovered(p) {
        for (const r of p.reports)
            this.output.appendLine(`recovered: ${r.message}`);
        const waiting = p.reports.filter((r) => r.action === 'needs-confirmation');
        if (waiting.length) {
            // the server left these alone: repos were edited since the crash, and a person decides
            const files = waiting.flatMap((r) => (r.kept ?? []).flatMap((k) => k.paths.map((f) => `${k.repo.split(/[\\/]/).pop()}/${f}`)));
            const choice = await vscode.window.showWarningMessage(`An interrupted rollback needs recovering, and files were changed since: ${files.slice(0, 5).join(', ') || 'HEAD moved'}${files.length > 5 ? ` and ${files.length - 5} more` : ''}. Recovering keeps those changes and puts the rest back.`, { modal: false }, 'Recover', 'Show Output');
            if (choice === 'Recover')
                await vscode.commands.executeCommand('codecontext.recover');
            else if (choice === 'Show Output')
                this.output.show();
            if (waiting.length === p.reports.length)
                return;
        }
        const text = p.reports.length === 1
            ? `CodeContext finished an interrupted rollback: ${p.reports[0].message}`
            : `CodeContext finished ${p.reports.length} interrupted rollbacks. See the output for what was done.`;
        await (0, output_1.showOutputAction)(text, this.output, 'info');
    }
}
//# sourceMappingURL=serverClient.js.map