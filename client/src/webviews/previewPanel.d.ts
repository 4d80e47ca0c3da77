import * as vscode from 'vscode';
import { PlannedFileSummary } from '../../../server/src/protocol';
import type { PreviewFromWebview, PreviewToWebview, Selection } from './messages';
import { PanelHost } from './panelHost';
import { PreviewTarget } from './target';
/**
 * The "Rollback preview" panel: plans a rollback (nothing changes), shows it, lets the user narrow it
 * to chosen repos and files, runs it with live per-repo progress, then offers its evidence and undo.
 * The server keeps the plan under its hash; what runs is exactly the plan the page shows (a narrowed
 * selection is previewed again first, and that plan's hash runs).
 */
export declare class PreviewPanel extends PanelHost<PreviewToWebview, PreviewFromWebview> {
    private target;
    static readonly viewType = "codecontext.rollbackPreview";
    private preview?;
    private files;
    private running?;
    private planning?;
    private last?;
    static create(extensionUri: vscode.Uri, target: PreviewTarget): PreviewPanel;
    private constructor();
    /** The key under which an open panel is reused for the same target. */
    static keyOf(target: PreviewTarget): string;
    protected handle(m: PreviewFromWebview): Promise<void>;
    /** Plans again (the toolbar's Refresh); ignored while a rollback runs. */
    refresh(): Promise<void>;
    protected onHandlerError(e: unknown): void;
    protected onDisposed(): void;
    /** Plans again from the repos as they are now (the first load, Refresh, or a mode switch). */
    private replan;
    private plan;
    private stateOf;
    private loadDiff;
    /** The native diff editor: left the file on disk now, right what the rollback writes. */
    private openDiff;
    private run;
    /**
     * The server limits paths for every chosen repo alike; if that brings in a file the user left out
     * in another repo, say so before anything runs.
     */
    private acceptNarrowed;
    private undo;
    /** Runs a rollback or an undo, relaying its progress to the page, and posts how it ended. */
    private transact;
    private openEvidence;
}
/** The execute request's limits for a selection; undefined when everything in the plan is chosen. */
export declare function limitsOf(selection: Selection, planRepos: readonly string[], files: readonly PlannedFileSummary[]): {
    repos: string[];
    paths?: string[];
} | undefined;
