import * as vscode from 'vscode';
/**
 * Opens VS Code's own diff editor on one file of one repo. Each side is the file on disk now, or a
 * blob from a snapshot / change record (null: the file does not exist on that side, shown empty).
 * Title: "f.ts (now ↔ snap_1a2b)", with "· added" (absent on the left), "· deleted" (absent on the
 * right) or "· binary" when that is so.
 */
export type DiffSide = 
/** The file as it is on disk now (empty if it is gone). */
{
    kind: 'disk';
}
/** A blob by id; null: absent on this side. `mode` 160000 marks a gitlink (its id is a commit). */
 | {
    kind: 'blob';
    blob: string | null;
    mode?: string | null;
};
export interface FileDiff {
    /** Absolute repo path. */
    repo: string;
    /** Repo-relative path (the right side's, for a rename). */
    path: string;
    /** The left side's path, for a rename. */
    oldPath?: string;
    left: DiffSide;
    right: DiffSide;
    /** Short names of the two sides: "now", "snap_1a2b", "before", "step 2"… */
    leftLabel: string;
    rightLabel: string;
    binary?: boolean;
}
export interface OpenedDiff {
    left: vscode.Uri;
    right: vscode.Uri;
    title: string;
}
export declare function openFileDiff(diff: FileDiff, options?: vscode.TextDocumentShowOptions): Promise<OpenedDiff>;
/** The editor title; exported for tests and for callers that label a tab the same way. */
export declare function diffTitle(diff: FileDiff, leftAbsent: boolean, rightAbsent: boolean): string;
