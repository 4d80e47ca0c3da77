import { RollbackMode } from '../../../server/src/protocol';
/** What "Preview Rollback…" rolls back to; the command's argument. */
export interface PreviewTarget {
    snapshot?: string;
    campaign?: string;
    /** Roll back to the state before this step (1-based); without it, the campaign's baseline. */
    step?: number;
    mode?: RollbackMode;
}
/**
 * Reads the command argument the ways callers give it: a `PreviewTarget`, an id string
 * (`snap_…` / `camp_…`), or a tree item carrying such fields (`snapshot`, `campaign`, `step`, `id`).
 */
export declare function targetFromArg(arg: unknown): PreviewTarget | undefined;
/** A quick pick of campaigns (their baselines) and snapshots, newest first; undefined when dismissed. */
export declare function pickTarget(): Promise<PreviewTarget | undefined>;
