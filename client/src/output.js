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
exports.showOutputAction = showOutputAction;
exports.isCancel = isCancel;
exports.describeError = describeError;
exports.showError = showError;
const vscode = __importStar(require("vscode"));
const node_1 = require("vscode-languageclient/node");
const protocol_1 = require("../../server/src/protocol");
/**
 * How the client tells the user something went wrong: one message with a "Show Output" action, the
 * detail in the CodeContext output channel. A cancel is not an error and shows nothing.
 */
const showOutput = 'Show Output';
/** Shows `text` with a "Show Output" action that reveals `output`. */
async function showOutputAction(text, output, level) {
    const show = level === 'error' ? vscode.window.showErrorMessage : level === 'warning' ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
    if ((await show(text, showOutput)) === showOutput)
        output.show(true);
}
/** True for the cancellations a user asked for (the server's `Cancelled`, or a cancelled token). */
function isCancel(e) {
    if (e instanceof node_1.ResponseError)
        return e.code === protocol_1.ErrorCodes.Cancelled;
    return e instanceof vscode.CancellationError || (e instanceof Error && e.name === 'Canceled');
}
/** The one line a user reads for a failure: the server's message, naming the repo and path when known. */
function describeError(e) {
    if (e instanceof node_1.ResponseError) {
        const data = e.data;
        const where = [data?.repo, data?.path].filter(Boolean).join(': ');
        const message = e.message.replace(/\.$/, '');
        return where && !message.includes(where) ? `${message} (${where})` : message;
    }
    return e instanceof Error ? e.message : String(e);
}
/** Logs `e` and shows it as `what failed: reason` with "Show Output"; a cancel shows nothing. */
async function showError(what, e, output) {
    if (isCancel(e))
        return;
    const line = `${what}: ${describeError(e)}`;
    output.appendLine(`[error] ${line}`);
    if (e instanceof node_1.ResponseError && e.data)
        output.appendLine(`        ${JSON.stringify(e.data)}`);
    await showOutputAction(line, output, 'error');
}
//# sourceMappingURL=output.js.map