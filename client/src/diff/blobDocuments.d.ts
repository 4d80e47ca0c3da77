import * as vscode from 'vscode';
/**
 * Read-only documents holding a git blob's bytes, served by the server (`codecontext/blob`), for the
 * diff editor. A URI names everything needed to fetch it again, so a reload reopens it:
 * `codecontext:/<label>/<path>?repo=<abs repo>&blob=<id>&mode=<git mode>`. No `blob`: the file is
 * absent on that side (an empty document). Blobs never change, so a URI's content never does.
 */
export declare const scheme = "codecontext";
export interface BlobRef {
    repo: string;
    path: string;
    /** null: the file does not exist on this side. */
    blob: string | null;
    mode?: string | null;
    /** The first path segment, so two sides of one file get different URIs (a snapshot id, "before"…). */
    label: string;
}
export declare function blobUri(ref: BlobRef): vscode.Uri;
export declare function parseBlobUri(uri: vscode.Uri): {
    repo: string;
    blob: string | null;
    mode: string | null;
};
/** What a binary blob shows as instead of its bytes. */
export declare function binaryPlaceholder(size: number, blob: string): string;
/** Registers the `codecontext:` document provider. */
export declare function registerBlobDocuments(): vscode.Disposable;
