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
exports.scheme = void 0;
exports.blobUri = blobUri;
exports.parseBlobUri = parseBlobUri;
exports.binaryPlaceholder = binaryPlaceholder;
exports.registerBlobDocuments = registerBlobDocuments;
const vscode = __importStar(require("vscode"));
const protocol_1 = require("../../../server/src/protocol");
const serverClient_1 = require("../serverClient");
/**
 * Read-only documents holding a git blob's bytes, served by the server (`codecontext/blob`), for the
 * diff editor. A URI names everything needed to fetch it again, so a reload reopens it:
 * `codecontext:/<label>/<path>?repo=<abs repo>&blob=<id>&mode=<git mode>`. No `blob`: the file is
 * absent on that side (an empty document). Blobs never change, so a URI's content never does.
 */
exports.scheme = 'codecontext';
function blobUri(ref) {
    const query = new URLSearchParams({ repo: ref.repo });
    if (ref.blob)
        query.set('blob', ref.blob);
    if (ref.mode)
        query.set('mode', ref.mode);
    const safeLabel = ref.label.replace(/[/\\]/g, '_') || '_';
    return vscode.Uri.from({ scheme: exports.scheme, path: `/${safeLabel}/${ref.path}`, query: query.toString() });
}
function parseBlobUri(uri) {
    const query = new URLSearchParams(uri.query);
    return { repo: query.get('repo') ?? '', blob: query.get('blob'), mode: query.get('mode') };
}
/** What a binary blob shows as instead of its bytes. */
function binaryPlaceholder(size, blob) {
    return `Binary file, ${formatBytes(size)} (blob ${blob.slice(0, 10)}): not shown as text.\n`;
}
function formatBytes(n) {
    if (n < 1024)
        return `${n} bytes`;
    if (n < 1024 * 1024)
        return `${(n / 1024).toFixed(1)} KB`;
    return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
class BlobDocumentProvider {
    async provideTextDocumentContent(uri, token) {
        const { repo, blob, mode } = parseBlobUri(uri);
        if (!blob)
            return '';
        // a gitlink's "blob" is the embedded repo's commit: shown as git shows it
        if (mode === '160000')
            return `Subproject commit ${blob}\n`;
        const result = await (0, serverClient_1.requireClient)().sendRequest(protocol_1.BlobRequest, { repo, blob }, token);
        if (result.binary)
            return binaryPlaceholder(result.size, blob);
        return Buffer.from(result.base64, 'base64').toString('utf8');
    }
}
/** Registers the `codecontext:` document provider. */
function registerBlobDocuments() {
    return vscode.workspace.registerTextDocumentContentProvider(exports.scheme, new BlobDocumentProvider());
}
//# sourceMappingURL=blobDocuments.js.map