/**
 * The one definition of every custom request and notification between the CodeContext client
 * (VS Code) and the language-server process. The client imports this file, so it holds only
 * message constants, param schemas, plain types and the error-code table: engine types come in
 * through `import type` (erased at build time) and nothing here pulls a Node-only module into the client.
 *
 * Conventions for every request below:
 * - params are objects, each request's defined once below as a schema (zod) that is also its type;
 *   the server validates them with it, and a missing or mistyped field is answered with
 *   `InvalidParams` (-32602) naming the field;
 * - ids accept a unique prefix (`snap_1a2b`) and campaigns also their name, as in the CLI;
 * - engine refusals are `ResponseError`s whose `code` comes from `ErrorCodes` and whose `data` is
 *   an `ErrorData` naming the engine code, the repo and the path;
 * - lists that can grow with the size of a campaign are paged (`PageParams` → `Page<T>`);
 * - "mutating" requests write the store or the repos; only one runs at a time per repo, a second
 *   is refused with `ErrorCodes.Busy` naming what runs.
 */
import { NotificationType, ProgressType, RequestType } from 'vscode-languageserver-protocol';
import * as z from 'zod/mini';
import type { WorkDoneProgressReport } from 'vscode-languageserver-protocol';
import type { Campaign, CampaignOverlap, CampaignStep, InvalidRecord, RepoRunResult, StoredChangeRecord } from './engine/campaign/campaign';
import type { ReviewComment } from './engine/campaign/reviewComments';
import type { EvidenceCheck, EvidencePack } from './engine/rollback/evidence/pack';
import type { FileChange, PlanPart, PlannedFile, RepoPlan, RollbackMode, RollbackPlan } from './engine/rollback/plan/plan';
import type { RecoveryReport } from './engine/rollback/tx/recover';
import type { KeepEdits } from './engine/rollback/plan/keepEdits';
import type { RepoDifference, SnapshotDifference } from './engine/rollback/plan/drift';
import type { TreeEntry } from './engine/git/trees';
import type { RollbackRecord as StoredRollbackRecord } from './engine/rollback/records';
import type { Drift, HeadAt, LostWith } from './engine/rollback/plan/changes';
import type { RepoCheck } from './engine/rollback/plan/repoChecks';
import type { DiscoveredRepo } from './engine/repo/discovery';
import type { PushedSnapshot } from './engine/snapshot/travel';
import type { SavedSnapshot, SnapshotManifest, SnapshotNote, SnapshotSummary, SnapshotVerification } from './engine/snapshot/snapshot';

export type {
  Campaign,
  CampaignOverlap,
  CampaignStep,
  DiscoveredRepo,
  Drift,
  EvidenceCheck,
  EvidencePack,
  FileChange,
  HeadAt,
  KeepEdits,
  LostWith,
  PlannedFile,
  RecoveryReport,
  RepoCheck,
  RepoDifference,
  RepoRunResult,
  ReviewComment,
  RollbackMode,
  PushedSnapshot,
  SavedSnapshot,
  SnapshotManifest,
  SnapshotDifference,
  SnapshotNote,
  SnapshotSummary,
  SnapshotVerification,
  StoredChangeRecord,
};

// ---------------------------------------------------------------------------------------------
// Field schemas: each carries the words the server answers a bad value with ("\"id\" must be …")

const nonEmpty = 'must be a non-empty string';
const text = z.string({ error: nonEmpty }).check(z.minLength(1, { error: nonEmpty }));
/** POSIX `/…`, Windows `C:\…` or `\\server\…`; the server normalises it (path.resolve). */
const absolutePath = z.string({ error: nonEmpty }).check(
  z.minLength(1, { error: nonEmpty }),
  z.refine((p) => /^(?:\/|[A-Za-z]:[\\/]|\\\\)/.test(p), { error: 'must be an absolute path' }),
);
const absolutePaths = z.array(absolutePath, { error: 'must be a list of absolute paths' });
const words = z
  .array(z.string({ error: 'must be a string' }), { error: 'must be a non-empty list of strings' })
  .check(z.minLength(1, { error: 'must be a non-empty list of strings' }));
const flag = z.boolean({ error: 'must be true or false' });
const objectId = z.string({ error: nonEmpty }).check(z.regex(/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/, { error: 'must be a full object id (40 or 64 hex digits)' }));
function wholeNumber(min: number, max = Number.MAX_SAFE_INTEGER) {
  const error = `must be a whole number from ${min}${max === Number.MAX_SAFE_INTEGER ? '' : ` to ${max}`}`;
  return z.int({ error }).check(z.gte(min, { error }), z.lte(max, { error }));
}
function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, { error: `must be one of ${values.join(', ')}` });
}
/** A rollback id (or prefix), never a path: the client names rollbacks, it does not point the server at files. */
const rollbackId = z.string({ error: nonEmpty }).check(z.regex(/^(rb_)?[0-9a-f]+$/, { error: 'must be a rollback id (rb_…)' }));
/** The work-done progress token (LSP's WorkDoneProgressParams), checked before any work starts. */
const progress = { workDoneToken: z.optional(z.union([z.string(), z.int()], { error: 'must be a string or an integer' })) };
/** An object of `shape`; anything but an object is refused as a whole. Fields not named are ignored. */
function params<S extends z.core.$ZodLooseShape>(shape: S) {
  return z.object(shape, { error: 'params must be an object' });
}
/** Requests that take no params. */
export const NoParams = params({});
export type NoParams = z.input<typeof NoParams>;
/**
 * The lists' scope: with `openFoldersOnly`, only what touches a repo at or below the workspace's
 * folders (a window sees its own work; the store may be shared with other windows). Without it: all.
 */
const scope = { openFoldersOnly: z.optional(flag) };
export const ScopeParams = params(scope);
export type ScopeParams = z.input<typeof ScopeParams>;

/** The words of a failed validation: the first issue, naming its field (`"repos[0]" must be …`). */
export function describeInvalidParams(error: z.core.$ZodError): string {
  const issue = error.issues[0];
  if (!issue || issue.path.length === 0) return issue?.message ?? 'params must be an object';
  const field = issue.path.map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? String(k) : `.${String(k)}`)).join('');
  return `"${field}" ${issue.message}`;
}

// ---------------------------------------------------------------------------------------------
// Shared shapes

/** A window into a long list. `offset` defaults to 0, `limit` to `defaultPageSize` (at most `maxPageSize`). */
export const defaultPageSize = 200;
export const maxPageSize = 5000;
const page = { offset: z.optional(wholeNumber(0)), limit: z.optional(wholeNumber(1, maxPageSize)) };
export const PageParams = params(page);
export type PageParams = z.input<typeof PageParams>;

/** One page: `items` starts at `offset` of `total` items in a stable order. */
export interface Page<T> {
  items: T[];
  offset: number;
  total: number;
}

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
  /** Publish every snapshot created here to each repo's remote (`snapshot create --push`). */
  pushSnapshots?: boolean;

  /** Checkpoint each active campaign of the workspace when its repos change and go quiet (default true). */
  autoCheckpoint?: boolean;
  /** Seconds of quiet before an automatic checkpoint (0.1 to 600; default 2). */
  autoCheckpointDebounce?: number;
}

/** `initializationOptions` of `initialize`: a fallback for settings the client cannot serve yet. */
export interface InitializationOptions {
  storePath?: string;
  /** `codecontext.autoCheckpoint` until the client's settings say otherwise (tests of other things turn it off). */
  autoCheckpoint?: boolean;
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
 * A work-done `report` as this server sends it: the standard fields (`message` in words a user knows,
 * "Reading the repos (3 of 10 repos)", never the engine's phase names; a rising percentage) plus
 * `detail` for clients that draw their own progress.
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
  ChecksNeedConsent: 1027,
  RemoteFailed: 1028,
  PushRejected: 1029,
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
  /** For `ChecksNeedConsent`: every repo check that lacks consent. */
  checks?: RepoCheck[];
  outcome?: RollbackRecord['outcome'];
}

// ---------------------------------------------------------------------------------------------
// Workspace

export const ReposListParams = params({
  /** Search the workspace folders again instead of answering from the last search. */
  refresh: z.optional(flag),
});
export type ReposListParams = z.input<typeof ReposListParams>;
export interface ReposListResult {
  /** The workspace folders, as absolute paths. */
  roots: string[];
  repos: DiscoveredRepo[];
}
/** client → server: every repo at or below the workspace folders (nested repos and submodules marked), sorted by path. */
export const ReposListRequest = new RequestType<ReposListParams, ReposListResult, ErrorData>('codecontext/repos/list');

export const ReposWatchParams = params({
  /** Absolute repo paths to watch; replaces the last list (an empty list stops watching). */
  repos: absolutePaths,
});
export type ReposWatchParams = z.input<typeof ReposWatchParams>;
/**
 * client → server: watch these repos' files, index, HEAD and refs (not the store: that is always
 * watched) and send `ReposChangedNotification` when they change, so an open preview can plan again.
 */
export interface ReposWatchResult {
  /** Repos watched now. */
  watching: number;
  /** Folders watched over all of them (ignored folders and nested repos are left out). */
  folders: number;
  /** Repos only partly watched: the folder budget ran out (edits in their other folders are seen on Refresh). */
  limited: string[];
}
export const ReposWatchRequest = new RequestType<ReposWatchParams, ReposWatchResult, ErrorData>('codecontext/repos/watch');

// ---------------------------------------------------------------------------------------------
// Snapshots

export const SnapshotListParams = params({
  /** Only the snapshots filed under this campaign id. */
  campaign: z.optional(text),
  ...scope,
});
export type SnapshotListParams = z.input<typeof SnapshotListParams>;
export interface SnapshotListResult {
  snapshots: SnapshotSummary[];
}
/**
 * client → server: every snapshot of the store, newest first; a modified manifest is listed with `valid: false`.
 * With `openFoldersOnly`, those holding a repo in the workspace's folders (a modified one is kept: it cannot say).
 */
export const SnapshotListRequest = new RequestType<SnapshotListParams, SnapshotListResult, ErrorData>('codecontext/snapshot/list');

export const SnapshotDetailParams = params({ id: text });
export type SnapshotDetailParams = z.input<typeof SnapshotDetailParams>;
/** client → server: one snapshot's manifest with every repo's state; a modified manifest is refused (`TamperedManifest`). */
export const SnapshotDetailRequest = new RequestType<SnapshotDetailParams, SnapshotManifest, ErrorData>('codecontext/snapshot/detail');

export const SnapshotCreateParams = params({
  ...progress,
  /** Absolute repo paths to capture. */
  repos: z.optional(absolutePaths),
  /** Capture every repo at or below these folders. Without `repos` and `roots`: the campaign's repos, else the workspace's. */
  roots: z.optional(absolutePaths),
  /** File the snapshot under this campaign (id or name). */
  campaign: z.optional(text),
  message: z.optional(text),
});
export type SnapshotCreateParams = z.input<typeof SnapshotCreateParams>;
/**
 * client → server (mutating, with progress, cancellable): captures the repos and writes the
 * snapshot. Cancelled before the pin phase ends → no ref and no manifest written. The same states
 * give the same id, so creating it twice returns the first one (`reused: true`) with the new
 * message kept as a note (`notes`): the user's words are never dropped.
 */
export const SnapshotCreateRequest = new RequestType<SnapshotCreateParams, SnapshotCreateResult, ErrorData>('codecontext/snapshot/create');
/** The snapshot saved, and (with the `pushSnapshots` setting) where each repo's part was pushed, or why not. */
export type SnapshotCreateResult = SavedSnapshot & { pushed?: PushedSnapshot[] };

export const SnapshotVerifyParams = params({ id: text });
export type SnapshotVerifyParams = z.input<typeof SnapshotVerifyParams>;
/** client → server: checks the manifest's id and seal and that every repo still holds every object and the pin ref. */
export const SnapshotVerifyRequest = new RequestType<SnapshotVerifyParams, SnapshotVerification, ErrorData>('codecontext/snapshot/verify');

export const SnapshotFilesParams = params({
  ...page,
  id: text,
  /** The repo's absolute path, as in the manifest. */
  repo: absolutePath,
  /** Which captured tree: the worktree (default) or the index. */
  tree: z.optional(oneOf(['worktree', 'index'])),
});
export type SnapshotFilesParams = z.input<typeof SnapshotFilesParams>;
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
/** client → server: every campaign, newest first (with `openFoldersOnly`, those with a repo in the workspace's folders). */
export const CampaignListRequest = new RequestType<ScopeParams, CampaignListResult, ErrorData>('codecontext/campaign/list');

export const CampaignDetailParams = params({
  /** Id, unique id prefix, or name (the newest campaign of that name). */
  id: text,
});
export type CampaignDetailParams = z.input<typeof CampaignDetailParams>;
/** client → server: one campaign with its repos and every step (counts, ref moves, command results). */
export const CampaignDetailRequest = new RequestType<CampaignDetailParams, Campaign, ErrorData>('codecontext/campaign/detail');

export const CampaignStartParams = params({
  ...progress,
  name: text,
  /** Folders whose repos belong to the campaign; default: the workspace folders. */
  roots: z.optional(absolutePaths),
});
export type CampaignStartParams = z.input<typeof CampaignStartParams>;
/** client → server (mutating, with progress, cancellable): finds the repos and takes the baseline; cancelled → no campaign and no snapshot written. */
export const CampaignStartRequest = new RequestType<CampaignStartParams, Campaign, ErrorData>('codecontext/campaign/start');

export const CampaignOverlapParams = params({
  /** The folders a campaign would start on; default: the workspace folders. */
  roots: z.optional(absolutePaths),
});
export type CampaignOverlapParams = z.input<typeof CampaignOverlapParams>;
export interface CampaignOverlapResult {
  /** The repos a campaign started on those roots would take. */
  repos: string[];
  /** Active campaigns already working on some of them. */
  campaigns: CampaignOverlap[];
}
/**
 * client → server (changes nothing): the active campaigns a new campaign on `roots` would share
 * repos with, so starting a second one is never silent. Asked before `CampaignStartRequest`.
 */
export const CampaignOverlapRequest = new RequestType<CampaignOverlapParams, CampaignOverlapResult, ErrorData>('codecontext/campaign/overlap');

export const CampaignCheckpointParams = params({ ...progress, campaign: text, message: z.optional(text) });
export type CampaignCheckpointParams = z.input<typeof CampaignCheckpointParams>;
/** A new step; its change records are fetched page by page with `CampaignChangesRequest`. */
export interface CampaignStepResult {
  campaign: string;
  step: CampaignStep;
  changeCount: number;
}
/**
 * client → server (mutating, with progress, cancellable): snapshots the campaign's repos and records what
 * changed as a new step; cancelled → no step written.
 */
export const CampaignCheckpointRequest = new RequestType<CampaignCheckpointParams, CampaignStepResult, ErrorData>('codecontext/campaign/checkpoint');

export const CampaignRunParams = params({
  ...progress,
  campaign: text,
  /** The program and its arguments, run without a shell in every repo of the campaign. */
  command: words,
  message: z.optional(text),
  /**
   * Only these repos of the campaign (absolute paths; each must be one of its repos), as the CLI's
   * `--only-failed` and `--repos-from` choose them: "Run Again Where It Failed" sends the repos the
   * last run failed in. Without it, every repo.
   */
  repos: z.optional(absolutePaths),
});
export type CampaignRunParams = z.input<typeof CampaignRunParams>;
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

export const CampaignFinishInterruptedParams = params({ ...progress, campaign: text });
export type CampaignFinishInterruptedParams = z.input<typeof CampaignFinishInterruptedParams>;
/**
 * client → server (mutating): a campaign run whose server died (killed, crashed) is recorded as the
 * step it was: each repo's result where its command finished, "interrupted" where it did not
 * (exit code -1). Answers that step, or no step when no run was interrupted (or one still runs).
 */
export const CampaignFinishInterruptedRequest = new RequestType<CampaignFinishInterruptedParams, { step?: CampaignStep }, ErrorData>(
  'codecontext/campaign/finishInterrupted',
);

export const CampaignChangesParams = params({
  ...page,
  campaign: text,
  /** 1-based step; without it, every step in order. */
  step: z.optional(wholeNumber(1)),
  /** Only the records of this repo (absolute path). */
  repo: z.optional(absolutePath),
});
export type CampaignChangesParams = z.input<typeof CampaignChangesParams>;
export interface CampaignChangesResult extends Page<StoredChangeRecord> {
  /** How many records each repo has in the step(s), before the `repo` filter: the repo level of a tree. */
  repos: { repo: string; count: number }[];
}
/** client → server: a step's change records (its file list), paged, sorted by step, repo, path. */
export const CampaignChangesRequest = new RequestType<CampaignChangesParams, CampaignChangesResult, ErrorData>('codecontext/campaign/changes');

export const CampaignDiffParams = params({
  campaign: text,
  /** 1-based step; without it, the whole campaign so far. */
  step: z.optional(wholeNumber(1)),
  /** Only this repo's part (absolute path). */
  repo: z.optional(absolutePath),
  /** With `repo`: only this file's sections (its path after the step, or before a rename). */
  path: z.optional(text),
});
export type CampaignDiffParams = z.input<typeof CampaignDiffParams>;
export interface CampaignDiffResult {
  campaign: string;
  step: number | null;
  /**
   * Git's unified diff text, paths prefixed with each repo's folder: without `repo`, byte for byte
   * what `codecontext campaign diff` prints (`--json`'s `diff`); with it, that text's part for the
   * repo or the file, unchanged. A binary file has no hunks ("Binary files … differ" only).
   */
  diff: string;
}
/** client → server: a step's diff text from the engine's one producer (the one `campaign diff` uses). */
export const CampaignDiffRequest = new RequestType<CampaignDiffParams, CampaignDiffResult, ErrorData>('codecontext/campaign/diff');

export const CampaignCommentsParams = params({
  campaign: text,
  /** Only this step's comments. */
  step: z.optional(wholeNumber(1)),
});
export type CampaignCommentsParams = z.input<typeof CampaignCommentsParams>;
export interface CampaignCommentsResult {
  comments: ReviewComment[];
}
/** client → server: a campaign's review comments, oldest first. */
export const CampaignCommentsRequest = new RequestType<CampaignCommentsParams, CampaignCommentsResult, ErrorData>('codecontext/campaign/comments');

export const CampaignCommentAddParams = params({
  campaign: text,
  step: wholeNumber(1),
  repo: absolutePath,
  /** A file the step changed. */
  path: text,
  /** 1-based line of the file after the step; absent: a note on the whole file. */
  line: z.optional(wholeNumber(1)),
  body: text,
  author: z.optional(text),
});
export type CampaignCommentAddParams = z.input<typeof CampaignCommentAddParams>;
/** client → server (writes the store, not the repos): adds a review comment; `UnknownId` when the step did not change that file. */
export const CampaignCommentAddRequest = new RequestType<CampaignCommentAddParams, ReviewComment, ErrorData>('codecontext/campaign/comment/add');

export const CampaignCommentDeleteParams = params({ campaign: text, id: text });
export type CampaignCommentDeleteParams = z.input<typeof CampaignCommentDeleteParams>;
/** client → server (writes the store): removes one review comment by id. */
export const CampaignCommentDeleteRequest = new RequestType<CampaignCommentDeleteParams, Record<string, never>, ErrorData>(
  'codecontext/campaign/comment/delete',
);

// ---------------------------------------------------------------------------------------------
// Content

export const BlobParams = params({
  /** Absolute path of the repo whose object store holds the blob. */
  repo: absolutePath,
  /** Full object id (40 or 64 hex digits). */
  blob: objectId,
});
export type BlobParams = z.input<typeof BlobParams>;
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
/** Per repo (absolute path), a list of its files as a plan names them: exact, never globs. */
const filesByRepo = z.record(absolutePath, z.array(text, { error: 'must be a list of paths' }), { error: 'must map absolute repo paths to lists of paths' });

const target = {
  snapshot: z.optional(text),
  campaign: z.optional(text),
  step: z.optional(wholeNumber(1)),
  /** With `campaign`: undo this one step alone (replay), over the steps after it; not with `step`. */
  onlyStep: z.optional(wholeNumber(1)),
  /** Default: the `defaultMode` setting, else `restore`; `replay` with `onlyStep`. */
  mode: z.optional(oneOf(['restore', 'replay'] satisfies [RollbackMode, RollbackMode])),
  /** Limit to these repos (absolute paths). */
  repos: z.optional(absolutePaths),
  /** Limit to files matching these globs (the CLI's `--path`; a GUI selection uses `files`). */
  paths: z.optional(words),
  /**
   * Per repo (absolute path), exactly these files of it, as a plan names them (no glob: `a*b.ts` is
   * that one file). A repo not named keeps all its files. What a preview's ticked files run as.
   */
  files: z.optional(filesByRepo),
  /** Leave these repos (absolute paths) out, e.g. one mid-merge that would refuse the whole plan. */
  exclude: z.optional(absolutePaths),
  /**
   * Repos (or files of them) the user left out because they conflicted (the preview's "Leave the repo
   * out" of a replay conflict): the evidence's `leftOut` names them with the reason `conflict`, not `unticked`.
   */
  conflicted: z.optional(z.array(z.object({ repo: absolutePath, path: z.optional(text) }), { error: 'must be a list of { repo, path? }' })),
};
export const RollbackTargetParams = params(target);
export type RollbackTargetParams = z.input<typeof RollbackTargetParams>;
export const RollbackPreviewParams = params({
  ...target,
  ...progress,
  /**
   * LSP's partial result token: while it plans, the server sends the repos planned so far as
   * `RollbackPreviewPart`s under it (`$/progress`, `RollbackPreviewPartType`), the first wave first,
   * so a large plan is drawn as it comes. The response is still the whole plan.
   */
  partialResultToken: z.optional(z.union([z.string(), z.int()], { error: 'must be a string or an integer' })),
  /**
   * `git fetch` the remotes of the repos the campaign worked in before saying what of it they hold
   * (each repo's `remotes`; never prompts, a remote that cannot be fetched is a note). Default: the
   * remote-tracking refs as they are. It moves remote-tracking refs, which a watched preview sees.
   */
  fetch: z.optional(flag),
  /**
   * Roll back these remotes too (per repo, a remote its `remoteChoices` lists; `true`: every one
   * that holds campaign work): the plan fetches them, and its `pushes` say what each gets (the CLI's
   * `--remote`). Empty or absent: local only.
   */
  remotes: z.optional(
    z.union([z.literal(true), z.array(z.object({ repo: absolutePath, remote: text }))], { error: 'must be true (every remote) or a list of { repo, remote }' }),
  ),
  /** With `remotes`: reset the branches the campaign advanced to where it found them, instead of reverting on top (`--rewrite`). */
  rewrite: z.optional(flag),
});
export type RollbackPreviewParams = z.input<typeof RollbackPreviewParams>;
/** Drift with its words for a person, as the CLI's DRIFT line says them (a path, "(index: …)", "(HEAD moved …)"). */
export type LabelledDrift = Drift & { label: string };
/**
 * One edit of the user's (drift) that a plan acts on, and what part of a run overwrites it (`lostWith`:
 * the file; any file of the repo; only the repo run whole; never, in replay). The preview looks a
 * selection up in it and derives nothing.
 */
export type DriftEdit = LabelledDrift & { lostWith: LostWith };
/** A repo of a previewed plan without its file list (paged with `RollbackPlanFilesRequest`). */
export interface RepoPlanSummary extends Omit<RepoPlan, 'files'> {
  fileCount: number;
  /** The repo's `drift`, each with its words and what loses it. */
  edits: DriftEdit[];
  /** What of the campaign this repo's remotes still hold, in the server's words (one fact a line; empty: nothing). A rollback is local: it leaves all of it. */
  remoteLines: string[];
  /** A remote holds some of the campaign (a branch with its commits or one it created, a tag it made): what `remoteLines` says beyond "unknown". */
  onRemotes: boolean;
  /** The remotes that hold campaign work, each with whether this plan rolls it back too (`remotes` of the request). */
  remoteChoices: { remote: string; chosen: boolean }[];
  /** What this plan pushes to the chosen remotes, in the server's words (one update a line; a problem says why it cannot). */
  pushLines: string[];
}
/**
 * server → client, under a preview's `partialResultToken`: the repos planned since the last part,
 * with their files (no diffs; at most `maxPartFiles` over all parts). Provisional: the response
 * replaces every part (a repo may be planned again, its drift attributed, its remotes added), and
 * no request can name the plan before it.
 */
export interface RollbackPreviewPart extends Omit<PlanPart, 'repos'> {
  repos: RepoPlanSummary[];
  files: PlannedFileSummary[];
  /** Files of these repos not sent, the parts' budget spent. */
  filesLeft: number;
}
export const RollbackPreviewPartType = new ProgressType<RollbackPreviewPart>();
/** What all the parts of one preview send of files, at most. */
export const maxPartFiles = 20_000;
/** A plan as previewed: everything but the files and their inverse diffs. `hash` names it in later requests. */
export interface RollbackPreview extends Omit<RollbackPlan, 'repos'> {
  repos: RepoPlanSummary[];
  /**
   * The repos' own checks this plan would run (`"check"` in a `.codecontext.json`, as the rollback
   * leaves it). Each is repo content: execute runs one only when its `repoChecks` names that exact
   * repo and command, and refuses (`ChecksNeedConsent`) while any is named by neither it nor `skipRepoChecks`.
   */
  repoChecks: RepoCheck[];
}
/**
 * client → server (with progress, cancellable, changes nothing): plans a rollback — per repo the
 * goal, drift, conflicts, waves. The server keeps the plan under its `hash` for files, diffs and
 * execution; execution refuses it if a repo changed since.
 */
export const RollbackPreviewRequest = new RequestType<RollbackPreviewParams, RollbackPreview, ErrorData>('codecontext/rollback/preview');

export interface RollbackDriftResult {
  /** Per repo of the campaign's last checkpoint, what changed since by something other than the campaign that a rollback would undo. */
  repos: { repo: string; drift: LabelledDrift[] }[];
}
/**
 * client → server (changes nothing, keeps nothing): drift since a campaign's last checkpoint, for
 * the trees' status marks; cheaper than a preview (no plan, no inverse diffs) and never evicts one.
 */
export const RollbackDriftRequest = new RequestType<RollbackTargetParams, RollbackDriftResult, ErrorData>('codecontext/rollback/drift');

export const RollbackCompareParams = params({
  /** Snapshot ids (or unique prefixes), at most `maxPageSize`. */
  snapshots: z
    .array(text, { error: 'must be a list of snapshot ids' })
    .check(z.maxLength(maxPageSize, { error: `must name at most ${maxPageSize} snapshots` })),
});
export type RollbackCompareParams = z.input<typeof RollbackCompareParams>;
export interface RollbackCompareResult {
  /** In the order asked; a snapshot that cannot be compared carries its `problem`. */
  snapshots: SnapshotDifference[];
}
/**
 * client → server (changes nothing, keeps nothing): per snapshot, what a rollback to it would
 * change compared with now (per repo: files, HEAD, index, drift), each repo captured once for all
 * of them. For the quick pick's rows and the Snapshots tree's marks: no plan is made, so none is evicted.
 */
export const RollbackCompareRequest = new RequestType<RollbackCompareParams, RollbackCompareResult, ErrorData>('codecontext/rollback/compare');

export const RollbackPlanFilesParams = params({
  ...page,
  /** The plan's hash from the preview. */
  plan: text,
  repo: z.optional(absolutePath),
});
export type RollbackPlanFilesParams = z.input<typeof RollbackPlanFilesParams>;
/** A file of a plan, without its inverse diff (nor its drift lines: they come with the diff). */
export type PlannedFileSummary = Omit<PlannedFile, 'patch' | 'driftLines'> & { repo: string };
/** client → server: a previewed plan's files, paged, in wave then repo order. */
export const RollbackPlanFilesRequest = new RequestType<RollbackPlanFilesParams, Page<PlannedFileSummary>, ErrorData>('codecontext/rollback/planFiles');

export const RollbackCompareFilesParams = params({
  ...page,
  /** A snapshot id or unique prefix. */
  snapshot: text,
  repo: absolutePath,
});
export type RollbackCompareFilesParams = z.input<typeof RollbackCompareFilesParams>;
/** A file of a repo that differs from a snapshot: what a restore to it would change, no diff. */
export type DifferingFile = FileChange & { repo: string };
export interface RollbackCompareFilesResult extends Page<DifferingFile> {
  /** The snapshot's full id. */
  snapshot: string;
  headChanged: boolean;
  indexChanged: boolean;
  /** A restore to the snapshot would change the repo (a file, the index, HEAD or the branch). */
  changed: boolean;
}
/**
 * client → server (changes nothing, keeps nothing): one repo's files that differ between now and a
 * snapshot, paged, with line counts: the Snapshots tree's file list under a repo. One capture and
 * one tree diff, no plan, so listing files never evicts the plan a user is about to run.
 */
export const RollbackCompareFilesRequest = new RequestType<RollbackCompareFilesParams, RollbackCompareFilesResult, ErrorData>(
  'codecontext/rollback/compareFiles',
);

export const RollbackFileDiffParams = params({ plan: text, repo: absolutePath, path: text });
export type RollbackFileDiffParams = z.input<typeof RollbackFileDiffParams>;
export interface RollbackFileDiffResult {
  repo: string;
  path: string;
  /** The unified diff that takes the current content back to the target; deterministic. */
  patch: string;
  added: number;
  removed: number;
  binary: boolean;
  diffHash: string;
  /** A drifted file: the line numbers of the file as it is now that someone other than the campaign wrote. */
  driftLines?: number[];
}
/** client → server: one file's inverse diff from a previewed plan, on demand. */
export const RollbackFileDiffRequest = new RequestType<RollbackFileDiffParams, RollbackFileDiffResult, ErrorData>('codecontext/rollback/fileDiff');

export const RollbackExecuteParams = params({
  ...progress,
  plan: text,
  /** Roll back over drift (restore mode); the safety snapshot keeps the drifted files. */
  force: z.optional(flag),
  /** A rolling check run in each repo right after it commits (no shell); a failure puts every repo back. Replaces the repos' own. */
  check: z.optional(text),
  /**
   * The repos' own checks (from the preview's `repoChecks`) the user consented to run, exactly
   * as listed; each is recorded as allowed. A repo check of the plan not listed here is refused
   * (`ChecksNeedConsent`, nothing changed) unless `skipRepoChecks`.
   */
  repoChecks: z.optional(z.array(z.object({ repo: absolutePath, command: text }), { error: 'must be a list of { repo, command }' })),
  /** Roll back without running the repo checks `repoChecks` does not list (an untrusted workspace). */
  skipRepoChecks: z.optional(flag),
  /**
   * Exactly the files this run is to change, per repo: what the user ticked. The server refuses,
   * changing nothing, if the plan would change any file not named or leave a named one alone.
   */
  files: z.optional(filesByRepo),
});
export type RollbackExecuteParams = z.input<typeof RollbackExecuteParams>;
/**
 * A rollback record as the server sends it: the stored record, each repo saying whether the rollback
 * changed it (computed by the server from the recorded states, for records of any age), so every
 * count of "repos changed" is the server's.
 */
export interface RollbackRecord extends Omit<StoredRollbackRecord, 'repos'> {
  repos: (StoredRollbackRecord['repos'][number] & { changed: boolean })[];
}
export interface RollbackExecuteResult {
  record: RollbackRecord;
  /** Repo checks that did not run: left out by `skipRepoChecks`, or (an undo) not run by the rollback it undoes. */
  skippedChecks?: RepoCheck[];
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

export const RollbackUndoParams = params({
  ...progress,
  rollback: text,
  /** Overwrite the files edited since the rollback (the undo's own safety snapshot keeps them). */
  force: z.optional(flag),
  /** Or leave them as they are (`leave`), or keep the edits with the rollback's change undone around them (`merge`). */
  keepEdits: z.optional(oneOf(['leave', 'merge'] satisfies [KeepEdits, KeepEdits])),
});
export type RollbackUndoParams = z.input<typeof RollbackUndoParams>;
/**
 * client → server (mutating, with progress, cancellable until commit): returns every repo of a committed
 * rollback to its safety snapshot, as a transaction of its own. Files edited since the rollback are
 * refused (`Drift`, nothing written) unless `force` or `keepEdits` says what becomes of them.
 */
export const RollbackUndoRequest = new RequestType<RollbackUndoParams, RollbackExecuteResult, ErrorData>('codecontext/rollback/undo');

export const RollbackUndoPreviewParams = params({ rollback: text, keepEdits: z.optional(oneOf(['leave', 'merge'] satisfies [KeepEdits, KeepEdits])) });
export type RollbackUndoPreviewParams = z.input<typeof RollbackUndoPreviewParams>;
export interface RollbackUndoPreview {
  rollback: string;
  /** The undo's plan hash: its files and diffs through `RollbackPlanFilesRequest` / `RollbackFileDiffRequest` (never executed as a rollback). */
  plan: string;
  reposChanged: number;
  files: number;
  /** Per repo, the files edited since the rollback ended that the undo would overwrite or remove (and index/HEAD moves, in words). */
  edited: { repo: string; files: string[]; other: string[] }[];
  /** With `keepEdits: 'merge'`: what could not be merged (the undo would refuse). */
  conflicts: { repo: string; path?: string; reason: string }[];
}
/**
 * client → server: what an undo of a rollback would do, changing nothing: how many repos and files go
 * back, and the files edited since the rollback that it would overwrite, so the confirmation can
 * name them and offer the choices a rollback offers (overwrite, leave them out, keep them). Keeps the
 * undo's plan (no captures: the undo plans again when it runs) so its files can be shown before the choice.
 */
export const RollbackUndoPreviewRequest = new RequestType<RollbackUndoPreviewParams, RollbackUndoPreview, ErrorData>('codecontext/rollback/undoPreview');

export interface RollbackRecoverResult {
  reports: RecoveryReport[];
}
/** client → server (mutating): finishes or undoes transactions a crash left unfinished, as `codecontext recover`; refused while this server runs a mutation. */
export const RollbackRecoverRequest = new RequestType<NoParams, RollbackRecoverResult, ErrorData>('codecontext/rollback/recover');

export interface RollbackListResult {
  rollbacks: RollbackRecord[];
  /** Rollback records that cannot be read: listed as invalid, never left out. */
  invalid?: InvalidRecord[];
}
/** client → server: every rollback and undo, newest first (with `openFoldersOnly`, those that touched a repo in the workspace's folders). */
export const RollbackListRequest = new RequestType<ScopeParams, RollbackListResult, ErrorData>('codecontext/rollback/list');

export const RollbackDetailParams = params({ id: text });
export type RollbackDetailParams = z.input<typeof RollbackDetailParams>;
/** client → server: one rollback's record: outcome, phases, repos, evidence path. */
export const RollbackDetailRequest = new RequestType<RollbackDetailParams, RollbackRecord, ErrorData>('codecontext/rollback/detail');

export const EvidenceParams = params({
  /** Rollback id (or prefix). */
  rollback: rollbackId,
});
export type EvidenceParams = z.input<typeof EvidenceParams>;
export interface EvidenceResult {
  file: string;
  pack: EvidencePack;
}
/** client → server: a rollback's evidence pack as written (its digest is not checked here: use verify). */
export const EvidenceRequest = new RequestType<EvidenceParams, EvidenceResult, ErrorData>('codecontext/evidence/get');

export const EvidenceVerifyParams = params({
  rollback: rollbackId,
  /** Also check every repo is still in the recorded end state. */
  repos: z.optional(flag),
});
export type EvidenceVerifyParams = z.input<typeof EvidenceVerifyParams>;
/** client → server: recomputes the evidence digest and the patch hash; with `repos`, compares the repos too. */
export const EvidenceVerifyRequest = new RequestType<EvidenceVerifyParams, EvidenceCheck, ErrorData>('codecontext/evidence/verify');

export interface EvidenceReportResult {
  /** The pack (`evidence-rb_<id>.json`). */
  file: string;
  /** The standalone HTML page beside it, when the pack has one (packs from before reports do not). */
  reportFile?: string;
  title: string;
  outcome: EvidencePack['outcome'];
  /** The report's body (`<article class="evidence-report">`): escaped, no script, no style attribute; the webview's CSP still applies. */
  html: string;
}
/** client → server: a rollback's evidence rendered as the report (engine/rollback/evidence/report.ts), for the evidence webview. */
export const EvidenceReportRequest = new RequestType<EvidenceParams, EvidenceReportResult, ErrorData>('codecontext/evidence/report');

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

export interface ReposChangedParams {
  /** The watched repos (absolute paths) whose files, index, HEAD, refs or merge state changed. */
  repos: string[];
}
/**
 * server → client: a repo named by `ReposWatchRequest` changed (anyone's write: an editor, git, this
 * server's own rollback). Debounced: sent once the writes settle (~300 ms), within 2 s under churn.
 * Our own captures' temporary files never count.
 */
export const ReposChangedNotification = new NotificationType<ReposChangedParams>('codecontext/reposChanged');

export interface RecoveredParams {
  reports: RecoveryReport[];
}
/** server → client: at start the server found unfinished transactions and recovered them; one report each, for the user to see. */
export const RecoveredNotification = new NotificationType<RecoveredParams>('codecontext/recovered');
