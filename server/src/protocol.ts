/**
 * The one definition of every custom request and notification between the CodeContext client
 * (VS Code) and the language-server process. The client imports this file, so it holds only
 * message constants, plain types and the error-code table: engine types come in through
 * `import type` (erased at build time) and nothing here pulls a Node-only module into the client.
 *
 * Conventions for every request below:
 * - params are objects; a missing or mistyped field is answered with `InvalidParams` (-32602);
 * - ids accept a unique prefix (`snap_1a2b`) and campaigns also their name, as in the CLI;
 * - engine refusals are `ResponseError`s whose `code` comes from `ErrorCodes` and whose `data` is
 *   an `ErrorData` naming the engine code, the repo and the path;
 * - lists that can grow with the size of a campaign are paged (`PageParams` → `Page<T>`);
 * - "mutating" requests write the store or the repos; only one runs at a time per repo, a second
 *   is refused with `ErrorCodes.Busy` naming what runs.
 */
import { NotificationType, RequestType } from 'vscode-languageserver-protocol';
import type { WorkDoneProgressParams, WorkDoneProgressReport } from 'vscode-languageserver-protocol';
import type { Campaign, CampaignStep, InvalidRecord, RepoRunResult, StoredChangeRecord } from './engine/campaign/campaign';
import type { ReviewComment } from './engine/campaign/reviewComments';
import type { EvidenceCheck, EvidencePack } from './engine/rollback/evidence';
import type { PlannedFile, RepoPlan, RollbackMode, RollbackPlan } from './engine/rollback/plan';
import type { RecoveryReport } from './engine/rollback/recover';
import type { TreeEntry } from './engine/git/objectReader';
import type { RollbackRecord } from './engine/rollback/rollbackRecords';
import type { DiscoveredRepo } from './engine/repo/discovery';
import type { SnapshotManifest, SnapshotSummary, SnapshotVerification } from './engine/snapshot/snapshot';

export type {
  Campaign,
  CampaignStep,
  DiscoveredRepo,
  EvidenceCheck,
  EvidencePack,
  PlannedFile,
  RecoveryReport,
  RepoRunResult,
  ReviewComment,
  RollbackMode,
  RollbackRecord,
  SnapshotManifest,
  SnapshotSummary,
  SnapshotVerification,
  StoredChangeRecord,
};

// ---------------------------------------------------------------------------------------------
// Shared shapes

/** A window into a long list. `offset` defaults to 0, `limit` to `defaultPageSize` (at most `maxPageSize`). */
export interface PageParams {
  offset?: number;
  limit?: number;
}

/** One page: `items` starts at `offset` of `total` items in a stable order. */
export interface Page<T> {
  items: T[];
  offset: number;
  total: number;
}

export const defaultPageSize = 200;
export const maxPageSize = 5000;

/** Settings read through `workspace/configuration`, section `codecontext`. */
export interface CodeContextSettings {
  /** The store folder; empty: `initializationOptions.storePath`, then $CODECONTEXT_HOME, then the per-user data folder. */
  storePath?: string;
  /** Folder levels below a workspace folder searched for repos. */
  discoveryDepth?: number;
  /** Repos worked on at once. */
  parallelism?: number;
  /** Rollback mode used when a request names none. */
  defaultMode?: 'restore' | 'replay';
}

/** `initializationOptions` of `initialize`: a fallback for settings the client cannot serve yet. */
export interface InitializationOptions {
  storePath?: string;
}

/** What the server puts into the `$/progress` reports of its long requests, beside `message` and `percentage`. */
export interface ProgressDetail {
  /** The engine's phase: `discover`, `capture`, `pin`, `run`… */
  phase: string;
  done: number;
  total: number;
  /** The repo that just finished, when the event is about one. */
  repo?: string;
}

/**
 * A work-done `report` as this server sends it: the standard fields (message "capture 3/10 repo-03",
 * a rising percentage) plus `detail` for clients that draw their own progress.
 */
export interface CodeContextProgressReport extends WorkDoneProgressReport {
  detail?: ProgressDetail;
}

// ---------------------------------------------------------------------------------------------
// Errors

/**
 * Numeric `ResponseError` codes, one per engine `ErrorCode` and a few of the server's own. They sit
 * outside JSON-RPC's and LSP's reserved ranges, except `Cancelled` (LSP's RequestCancelled, so
 * clients treat it as a cancel) and `Usage` (InvalidParams: the engine found the input malformed).
 */
export const ErrorCodes = {
  NotARepository: 1001,
  RepositoryIsLocked: 1002,
  MergeInProgress: 1003,
  RebaseInProgress: 1004,
  OperationInProgress: 1005,
  UnmergedEntries: 1006,
  RepoMissing: 1007,
  UnknownId: 1008,
  AmbiguousId: 1009,
  TamperedManifest: 1010,
  MissingObject: 1011,
  PathEscapesRepo: 1012,
  StoreCorrupt: 1013,
  NoRepositories: 1014,
  CommandFailed: 1015,
  GitFailed: 1016,
  Conflict: 1017,
  Drift: 1018,
  PlanStale: 1019,
  VerifyFailed: 1020,
  ConcurrentWrite: 1021,
  IoFailed: 1022,
  RecoveryNeeded: 1023,
  IgnoredFileInTheWay: 1024,
  NotUndoable: 1025,
  CheckFailed: 1026,
  Cancelled: -32800,
  Usage: -32602,
  /** An engine code this table does not know yet; `data.code` still names it. */
  EngineFailure: 1099,
  /** Another mutating request (of this server, or a rollback of another process) works on one of the same repos. */
  Busy: 1100,
  /** A bug: not an engine refusal. The message says what failed. */
  Internal: 1101,
} as const;

/** The `code` of a `ResponseError` for an engine or server error code (`ErrorData.code`). */
export function responseCodeOf(code: string): number {
  return (ErrorCodes as Record<string, number>)[code] ?? ErrorCodes.EngineFailure;
}

/** `data` of every `ResponseError` this server sends for a refusal. */
export interface ErrorData {
  /** The engine's `ErrorCode`, or `Busy` / `Internal` / `InvalidParams`. */
  code: string;
  repo?: string;
  path?: string;
  /** For `Busy`: what runs, e.g. "campaign run camp_1a2b3c". */
  running?: string;
  /** For a failed rollback or undo: its id (its record and evidence pack exist) and how it ended. */
  rollback?: string;
  outcome?: RollbackRecord['outcome'];
}

// ---------------------------------------------------------------------------------------------
// Workspace

export interface ReposListParams {
  /** Search the workspace folders again instead of answering from the last search. */
  refresh?: boolean;
}
export interface ReposListResult {
  /** The workspace folders, as absolute paths. */
  roots: string[];
  repos: DiscoveredRepo[];
}
/** client → server: every repo at or below the workspace folders (nested repos and submodules marked), sorted by path. */
export const ReposListRequest = new RequestType<ReposListParams, ReposListResult, ErrorData>('codecontext/repos/list');

// ---------------------------------------------------------------------------------------------
// Snapshots

export interface SnapshotListParams {
  /** Only the snapshots filed under this campaign id. */
  campaign?: string;
}
export interface SnapshotListResult {
  snapshots: SnapshotSummary[];
}
/** client → server: every snapshot of the store, newest first; a modified manifest is listed with `valid: false`. */
export const SnapshotListRequest = new RequestType<SnapshotListParams, SnapshotListResult, ErrorData>('codecontext/snapshot/list');

export interface SnapshotDetailParams {
  id: string;
}
/** client → server: one snapshot's manifest with every repo's state; a modified manifest is refused (`TamperedManifest`). */
export const SnapshotDetailRequest = new RequestType<SnapshotDetailParams, SnapshotManifest, ErrorData>('codecontext/snapshot/detail');

export interface SnapshotCreateParams extends WorkDoneProgressParams {
  /** Absolute repo paths to capture. */
  repos?: string[];
  /** Capture every repo at or below these folders. Without `repos` and `roots`: the campaign's repos, else the workspace's. */
  roots?: string[];
  /** File the snapshot under this campaign (id or name). */
  campaign?: string;
  message?: string;
}
/**
 * client → server (mutating, with progress, cancellable): captures the repos and writes the
 * snapshot. Cancelled before the pin phase ends → no ref and no manifest written. The same states
 * give the same id, so creating it twice returns the first one.
 */
export const SnapshotCreateRequest = new RequestType<SnapshotCreateParams, SnapshotManifest, ErrorData>('codecontext/snapshot/create');

export interface SnapshotVerifyParams {
  id: string;
}
/** client → server: checks the manifest's id and seal and that every repo still holds every object and the pin ref. */
export const SnapshotVerifyRequest = new RequestType<SnapshotVerifyParams, SnapshotVerification, ErrorData>('codecontext/snapshot/verify');

export interface SnapshotFilesParams extends PageParams {
  id: string;
  /** The repo's absolute path, as in the manifest. */
  repo: string;
  /** Which captured tree: the worktree (default) or the index. */
  tree?: 'worktree' | 'index';
}
/** A file of a captured tree. `type` is `commit` for a gitlink (an embedded repo or a submodule). */
/** A file of a snapshot's tree (`size` null for gitlinks). */
export type TreeFile = TreeEntry;
/** client → server: the files of one repo of a snapshot, paged, in git's path order. */
export const SnapshotFilesRequest = new RequestType<SnapshotFilesParams, Page<TreeFile>, ErrorData>('codecontext/snapshot/files');

// ---------------------------------------------------------------------------------------------
// Campaigns

/** A campaign without its repo list and steps, for lists. */
export interface CampaignSummary {
  id: string;
  name: string;
  roots: string[];
  createdAt: string;
  baseline: string;
  status: Campaign['status'];
  repoCount: number;
  stepCount: number;
  /** When the last checkpoint was taken; absent before the first. */
  lastStepAt?: string;
}
export interface CampaignListResult {
  campaigns: CampaignSummary[];
  /** Campaign files that cannot be read (edited, truncated): listed as invalid, never left out. */
  invalid?: InvalidRecord[];
}
/** client → server: every campaign, newest first. */
export const CampaignListRequest = new RequestType<Record<string, never>, CampaignListResult, ErrorData>('codecontext/campaign/list');

export interface CampaignDetailParams {
  /** Id, unique id prefix, or name (the newest campaign of that name). */
  id: string;
}
/** client → server: one campaign with its repos and every step (counts, ref moves, command results). */
export const CampaignDetailRequest = new RequestType<CampaignDetailParams, Campaign, ErrorData>('codecontext/campaign/detail');

export interface CampaignStartParams extends WorkDoneProgressParams {
  name: string;
  /** Folders whose repos belong to the campaign; default: the workspace folders. */
  roots?: string[];
}
/** client → server (mutating, with progress, cancellable): finds the repos and takes the baseline; cancelled → no campaign and no snapshot written. */
export const CampaignStartRequest = new RequestType<CampaignStartParams, Campaign, ErrorData>('codecontext/campaign/start');

export interface CampaignCheckpointParams extends WorkDoneProgressParams {
  campaign: string;
  message?: string;
}
/** A new step; its change records are fetched page by page with `CampaignChangesRequest`. */
export interface CampaignStepResult {
  campaign: string;
  step: CampaignStep;
  changeCount: number;
}
/** client → server (mutating, with progress, cancellable): snapshots the campaign's repos and records what changed as a new step; cancelled → no step written. */
export const CampaignCheckpointRequest = new RequestType<CampaignCheckpointParams, CampaignStepResult, ErrorData>('codecontext/campaign/checkpoint');

export interface CampaignRunParams extends WorkDoneProgressParams {
  campaign: string;
  /** The program and its arguments, run without a shell in every repo of the campaign. */
  command: string[];
  message?: string;
}
export interface CampaignRunResult extends CampaignStepResult {
  /** Repos where the command exited non-zero; the step is recorded all the same. */
  failed: RepoRunResult[];
}
/**
 * client → server (mutating, with progress, cancellable): runs the command in every repo, then
 * checkpoints. Cancelled → no new command is started and no step is written; what the commands
 * already did stays on disk (the next checkpoint records it).
 */
export const CampaignRunRequest = new RequestType<CampaignRunParams, CampaignRunResult, ErrorData>('codecontext/campaign/run');

export interface CampaignChangesParams extends PageParams {
  campaign: string;
  /** 1-based step; without it, every step in order. */
  step?: number;
  /** Only the records of this repo (absolute path). */
  repo?: string;
}
export interface CampaignChangesResult extends Page<StoredChangeRecord> {
  /** How many records each repo has in the step(s), before the `repo` filter: the repo level of a tree. */
  repos: { repo: string; count: number }[];
}
/** client → server: a step's change records (its file list), paged, sorted by step, repo, path. */
export const CampaignChangesRequest = new RequestType<CampaignChangesParams, CampaignChangesResult, ErrorData>('codecontext/campaign/changes');

export interface CampaignDiffParams {
  campaign: string;
  /** 1-based step; without it, the whole campaign so far. */
  step?: number;
  /** Only this repo's part (absolute path). */
  repo?: string;
  /** With `repo`: only this file's sections (its path after the step, or before a rename). */
  path?: string;
}
export interface CampaignDiffResult {
  campaign: string;
  step: number | null;
  /**
   * Git's unified diff text, paths prefixed with each repo's folder: without `repo`, byte for byte
   * what `codecontext campaign diff` prints (`--json`'s `diff`); with it, that text's part for the
   * repo or the file, unchanged. Empty for a binary file's hunks ("Binary files … differ" only).
   */
  diff: string;
}
/** client → server: a step's diff text from the engine's one producer (the one `campaign diff` uses). */
export const CampaignDiffRequest = new RequestType<CampaignDiffParams, CampaignDiffResult, ErrorData>('codecontext/campaign/diff');

export interface CampaignCommentsParams {
  campaign: string;
  /** Only this step's comments. */
  step?: number;
}
export interface CampaignCommentsResult {
  comments: ReviewComment[];
}
/** client → server: a campaign's review comments, oldest first. */
export const CampaignCommentsRequest = new RequestType<CampaignCommentsParams, CampaignCommentsResult, ErrorData>('codecontext/campaign/comments');

export interface CampaignCommentAddParams {
  campaign: string;
  step: number;
  repo: string;
  /** A file the step changed. */
  path: string;
  /** 1-based line of the file after the step; absent: a note on the whole file. */
  line?: number;
  body: string;
  author?: string;
}
/** client → server (writes the store, not the repos): adds a review comment; `UnknownId` when the step did not change that file. */
export const CampaignCommentAddRequest = new RequestType<CampaignCommentAddParams, ReviewComment, ErrorData>('codecontext/campaign/comment/add');

export interface CampaignCommentDeleteParams {
  campaign: string;
  id: string;
}
/** client → server (writes the store): removes one review comment by id. */
export const CampaignCommentDeleteRequest = new RequestType<CampaignCommentDeleteParams, Record<string, never>, ErrorData>('codecontext/campaign/comment/delete');

// ---------------------------------------------------------------------------------------------
// Content

export interface BlobParams {
  /** Absolute path of the repo whose object store holds the blob. */
  repo: string;
  /** Full object id (40 or 64 hex digits). */
  blob: string;
}
export interface BlobResult {
  repo: string;
  blob: string;
  size: number;
  /** Git's own test: a NUL in the first 8000 bytes. */
  binary: boolean;
  /** The exact bytes, base64-encoded. */
  base64: string;
}
/** client → server: a blob's exact bytes (for diff documents); `MissingObject` when the repo lacks it. */
export const BlobRequest = new RequestType<BlobParams, BlobResult, ErrorData>('codecontext/blob');

// ---------------------------------------------------------------------------------------------
// Rollbacks

/** What to roll back to, and how: a snapshot, or a campaign's baseline / the state before step N. */
export interface RollbackTargetParams {
  snapshot?: string;
  campaign?: string;
  step?: number;
  /** Default: the `defaultMode` setting, else `restore`. */
  mode?: RollbackMode;
  /** Limit to these repos (absolute paths). */
  repos?: string[];
  /** Limit to files matching these globs. */
  paths?: string[];
}
export interface RollbackPreviewParams extends RollbackTargetParams, WorkDoneProgressParams {}
/** A repo of a previewed plan without its file list (paged with `RollbackPlanFilesRequest`). */
export interface RepoPlanSummary extends Omit<RepoPlan, 'files'> {
  fileCount: number;
}
/** A plan as previewed: everything but the files and their inverse diffs. `hash` names it in later requests. */
export interface RollbackPreview extends Omit<RollbackPlan, 'repos'> {
  repos: RepoPlanSummary[];
}
/**
 * client → server (with progress, cancellable, changes nothing): plans a rollback — per repo the
 * goal, drift, conflicts, waves. The server keeps the plan under its `hash` for files, diffs and
 * execution; execution refuses it if a repo changed since.
 */
export const RollbackPreviewRequest = new RequestType<RollbackPreviewParams, RollbackPreview, ErrorData>('codecontext/rollback/preview');

export interface RollbackDriftResult {
  /** Per repo of the campaign's last checkpoint, the paths changed since by something other than the campaign. */
  repos: { repo: string; drift: string[] }[];
}
/**
 * client → server (changes nothing, keeps nothing): drift since a campaign's last checkpoint, for
 * the trees' status marks; cheaper than a preview (no plan, no inverse diffs) and never evicts one.
 */
export const RollbackDriftRequest = new RequestType<RollbackTargetParams, RollbackDriftResult, ErrorData>('codecontext/rollback/drift');

export interface RollbackPlanFilesParams extends PageParams {
  /** The plan's hash from the preview. */
  plan: string;
  repo?: string;
}
/** A file of a plan, without its inverse diff. */
export type PlannedFileSummary = Omit<PlannedFile, 'patch'> & { repo: string };
/** client → server: a previewed plan's files, paged, in wave then repo order. */
export const RollbackPlanFilesRequest = new RequestType<RollbackPlanFilesParams, Page<PlannedFileSummary>, ErrorData>('codecontext/rollback/planFiles');

export interface RollbackFileDiffParams {
  plan: string;
  repo: string;
  path: string;
}
export interface RollbackFileDiffResult {
  repo: string;
  path: string;
  /** The unified diff that takes the current content back to the target; deterministic. */
  patch: string;
  added: number;
  removed: number;
  binary: boolean;
  diffHash: string;
}
/** client → server: one file's inverse diff from a previewed plan, on demand. */
export const RollbackFileDiffRequest = new RequestType<RollbackFileDiffParams, RollbackFileDiffResult, ErrorData>('codecontext/rollback/fileDiff');

export interface RollbackExecuteParams extends WorkDoneProgressParams {
  plan: string;
  /** Roll back over drift (restore mode); the safety snapshot keeps the drifted files. */
  force?: boolean;
  /** A rolling check run in each repo right after it commits (no shell); a failure puts every repo back. */
  check?: string;
}
export interface RollbackExecuteResult {
  record: RollbackRecord;
  /** A cancel arrived after the commit phase had begun: the transaction finished instead (it never stops half-way). */
  cancelArrivedLate: boolean;
}
/**
 * client → server (mutating, with progress, cancellable until commit): runs a previewed plan as
 * one transaction. Cancelled before commit → `Cancelled`, nothing changed. A failure after commit
 * began → every changed repo is back at its safety snapshot; the error names the rollback
 * (`data.rollback`, `data.outcome: 'aborted'`). Never leaves some repos rolled back and others not.
 */
export const RollbackExecuteRequest = new RequestType<RollbackExecuteParams, RollbackExecuteResult, ErrorData>('codecontext/rollback/execute');

export interface RollbackUndoParams extends WorkDoneProgressParams {
  rollback: string;
  force?: boolean;
}
/** client → server (mutating, with progress, cancellable until commit): returns every repo of a committed rollback to its safety snapshot, as a transaction of its own. */
export const RollbackUndoRequest = new RequestType<RollbackUndoParams, RollbackExecuteResult, ErrorData>('codecontext/rollback/undo');

export interface RollbackRecoverResult {
  reports: RecoveryReport[];
}
/** client → server (mutating): finishes or undoes transactions a crash left unfinished, as `codecontext recover`; refused while this server runs a mutation. */
export const RollbackRecoverRequest = new RequestType<Record<string, never>, RollbackRecoverResult, ErrorData>('codecontext/rollback/recover');

export interface RollbackListResult {
  rollbacks: RollbackRecord[];
  /** Rollback records that cannot be read: listed as invalid, never left out. */
  invalid?: InvalidRecord[];
}
/** client → server: every rollback and undo, newest first. */
export const RollbackListRequest = new RequestType<Record<string, never>, RollbackListResult, ErrorData>('codecontext/rollback/list');

export interface RollbackDetailParams {
  id: string;
}
/** client → server: one rollback's record: outcome, phases, repos, evidence path. */
export const RollbackDetailRequest = new RequestType<RollbackDetailParams, RollbackRecord, ErrorData>('codecontext/rollback/detail');

export interface EvidenceParams {
  /** Rollback id (or prefix). */
  rollback: string;
}
export interface EvidenceResult {
  file: string;
  pack: EvidencePack;
}
/** client → server: a rollback's evidence pack as written (its digest is not checked here: use verify). */
export const EvidenceRequest = new RequestType<EvidenceParams, EvidenceResult, ErrorData>('codecontext/evidence/get');

export interface EvidenceVerifyParams extends EvidenceParams {
  /** Also check every repo is still in the recorded end state. */
  repos?: boolean;
}
/** client → server: recomputes the evidence digest and the patch hash; with `repos`, compares the repos too. */
export const EvidenceVerifyRequest = new RequestType<EvidenceVerifyParams, EvidenceCheck, ErrorData>('codecontext/evidence/verify');

// ---------------------------------------------------------------------------------------------
// Notifications

export type StoreKind = 'campaigns' | 'snapshots' | 'rollbacks';
export interface DidChangeParams {
  kinds: StoreKind[];
}
/**
 * server → client: something in the store changed (this server, the CLI, another window); the
 * client re-reads those lists. Sent at most ~100 ms after the change settles, within 2 s.
 */
export const DidChangeNotification = new NotificationType<DidChangeParams>('codecontext/didChange');

export interface RecoveredParams {
  reports: RecoveryReport[];
}
/** server → client: at start the server found unfinished transactions and recovered them; one report each, for the user to see. */
export const RecoveredNotification = new NotificationType<RecoveredParams>('codecontext/recovered');
