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
exports.openFileDiff = openFileDiff;
exports.diffTitle = diffTitle;
const path = __importStar(require("path"));
const vscode = __importStar(require("vscode"));
const blobDocuments_1 = require("./blobDocuments");
async function openFileDiff(diff, options = { preview: true }) {
    const leftPath = diff.oldPath ?? diff.path;
    const left = await sideUri(diff.repo, leftPath, diff.left, diff.leftLabel);
    const right = await sideUri(diff.repo, diff.path, diff.right, diff.rightLabel);
    const title = diffTitle(diff, left.absent, right.absent);
    await vscode.commands.executeCommand('vscode.diff', left.uri, right.uri, title, options);
    return { left: left.uri, right: right.uri, title };
}
/** The editor title; exported for tests and for callers that label a tab the same way. */
function diffTitle(diff, leftAbsent, rightAbsent) {
    const name = diff.oldPath && diff.oldPath !== diff.path ? `${path.posix.basename(diff.oldPath)} → ${path.posix.basename(diff.path)}` : path.posix.basename(diff.path);
    const notes = [leftAbsent && !rightAbsent ? 'added' : '', rightAbsent && !leftAbsent ? 'deleted' : '', diff.binary ? 'binary' : ''].filter(Boolean);
    return `${name} (${diff.leftLabel} ↔ ${diff.rightLabel})${notes.length ? ' · ' + notes.join(' · ') : ''}`;
}
async function sideUri(repo, file, side, label) {
    if (side.kind === 'disk') {
        const uri = vscode.Uri.file(path.join(repo, ...file.split('/')));
        try {
            await vscode.workspace.fs.stat(uri);
            return { uri, absent: false };
        }
        catch {
            return { uri: (0, blobDocuments_1.blobUri)({ repo, path: file, blob: null, label }), absent: true };
        }
    }
    return { uri: (0, blobDocuments_1.blobUri)({ repo, path: file, blob: side.blob, mode: side.mode, label }), absent: side.blob === null };
}
//# sourceMappingURL=openFileDiff.js.map