/**
 * Every message between the extension and its two webviews, one discriminated union per direction
 * and panel. The webview scripts (media/src) import these types too, so nothing here may import
 * `vscode` or a Node module: plain data only, already shaped for drawing (view models), so the
 * webview never has to know the protocol.
 */

// ---------------------------------------------------------------------------------------------
// Shared

/** A file's inverse diff (or a campaign step's diff) as the webview renders it. */
export interface DiffView {
  repo: string;
  path: string;
  /** Unified diff text (`@@` hunks); empty for binary files or mode-only changes. */
  patch: string;
  added: number;
  removed: number;
  binary: boolean;
  /** Set when the diff could not be fetched; the webview shows it in place of the diff. */
  error?: string;
  /** Rollback preview, drifted files: line numbers of the file as it is now that the user (not the campaign) wrote. */
  driftLines?: number[];
}

/** One line a webview reports about itself, for the tests: what is drawn, not what was sent. */
export interface RenderedSnapshot {
  /** Visible heading text. */
  title: string;
  /** Repo rows drawn, by display name, in order. */
  repos: string[];
  /** File rows drawn, as `repo-name/path`, in order. */
  files: string[];
  /** File rows whose checkbox is ticked (preview only). */
  checked: string[];
  /** The status line (`role=status`). */
  status: string;
  /** Preview only: the page shows the repos planned so far, not yet a plan (`waitFor` never settles on it). */
  planning?: boolean;
  /** `data-action` of every enabled button. */
  actions: string[];
  /** Diffs drawn inline (tables, not "Loading…"). */
  diffs: number;
  /** The campaign step shown (history only). */
  step?: number;
  /** Preview only: diff lines drawn marked as the user's own (drift). */
  driftLines?: number;
  /** Preview only: the text of every drift mark drawn (badges, hunk notes, the run bar's choice). */
  driftMarks?: string[];
  /** Preview only: why each repo is in its wave, as drawn. */
  waveNotes?: string[];
  /** Preview only: the wave headings drawn. */
  waves?: string[];
  /** Preview only: the Run button's label. */
  runLabel?: string;
  /** Preview only: the accessible name of every control of the plan that Tab stops at. */
  tabStops?: string[];
  /** Preview only: the accessible name of every control inside the file rows (checkboxes, buttons). */
  rowControls?: string[];
  /** The accessible name of the focused element. */
  focused?: string;
  /** Preview only: the text of the alert shown (a blocking repo, a stale plan, drift to resolve). */
  alert?: string;
  /** Preview only: the last statuses shown, oldest first (one that passed quickly is still there). */
  statusLog?: string[];
  /** Preview only: each line of what the repos' remotes still hold, as `repo-name: line`. */
  remotes?: string[];
  /** Preview only: each line of what the run pushes to the remotes, as `repo-name: line`. */
  pushes?: string[];
  /** Preview only: the run bar at the bottom, whether it is folded, its height and the page's, in CSS pixels. */
  footer?: { folded: boolean; height: number; viewport: number };
  /** Preview only: the check command's text box as drawn (computed colours): readable in every theme. */
  checkInput?: { background: string; color: string; placeholder: string; border: string };
  /** The timeline's steps as a screen reader names them, e.g. "Step 2: …, 3 files, failed in 1 repo, reviewed" (history only). */
  badges?: string[];
}

/** Test hook: the extension asks, the webview answers with `rendered` carrying the same `id`. */
export interface ProbeMessage {
  type: 'probe';
  id: number;
}
/** Test hook: the webview clicks its own button (`data-action`), as a user would; `key:ArrowLeft` presses a key instead. */
export interface PressMessage {
  type: 'press';
  action: string;
  /** For per-row buttons and checkboxes: the row key (`repo`, or `repo` + "\n" + `path` for a file). */
  key?: string;
}

// ---------------------------------------------------------------------------------------------
// Rollback preview

export interface PreviewFileView {
  repo: string;
  path: string;
  /** What the rollback does to it: restore, recreate, remove, mode, gitlink. */
  change: string;
  added: number;
  removed: number;
  binary: boolean;
  /** Someone other than the campaign changed it since the last checkpoint. */
  drift: boolean;
  conflict?: string;
}

/** An edit of the user's (drift) that the plan acts on: the server's words for it, and what overwrites it. */
export interface PreviewEditView {
  /** A path, or the index's or HEAD's words in parentheses. */
  label: string;
  /** A drifted file's path; absent for the index and HEAD. */
  path?: string;
  /**
   * What part of a run overwrites it, as the server says: this file; any file of the repo (the index);
   * only the repo run whole (HEAD); never (replay keeps every edit).
   */
  lostWith: { file: string } | 'anyOfRepo' | 'wholeRepo' | 'never';
}

export interface PreviewRepoView {
  path: string;
  /** Folder name, or the path relative to the workspace when names repeat. */
  name: string;
  wave: number;
  /** Display names of the plan's repos this one depends on (rolled back after it). */
  dependsOn: string[];
  /** Display names of the repos it waits for (they depend on it). */
  after: string[];
  fileCount: number;
  headChanged: boolean;
  indexChanged: boolean;
  /** The rollback changes the repo (a file, the index, HEAD or the branch): the server's word. */
  changed: boolean;
  /** The user's edits (drift) the plan acts on, as the server says them. */
  edits: PreviewEditView[];
  /** Each conflict with its file and the hunk that did not apply (replay), under its repo. */
  conflicts: { path?: string; reason: string; hunk?: string }[];
  notes: string[];
  /** What of the campaign the repo's remotes still hold, in the server's words, one fact a line (a rollback is local: it leaves them). */
  remotes: string[];
  /** The remotes that hold campaign work, each with whether the user chose to roll it back too. */
  remoteChoices: { remote: string; chosen: boolean }[];
  /** What the plan pushes to the chosen remotes, in the server's words, one update a line. */
  pushes: string[];
}

export interface PreviewState {
  /** What the plan rolls back to, e.g. "baseline of rename-logger (snap_1a2b3c)". */
  targetLabel: string;
  /** The page's heading when it is not "Roll back to <targetLabel>": one step reverted in one file. */
  heading?: string;
  mode: 'restore' | 'replay';
  planHash: string;
  createdAt: string;
  totals: { repos: number; reposChanged: number; files: number; added: number; removed: number; drift: number; conflicts: number };
  /** Repo paths per wave, in run order. */
  waves: string[][];
  cycles: string[][];
  repos: PreviewRepoView[];
  files: PreviewFileView[];
  /** More files exist than were sent (very large plans). */
  filesTruncated: boolean;
  /** Repos the user left out of the plan (they blocked it), by display name. */
  excluded: string[];
  /** The chosen remotes' advanced branches are reset rather than reverted on top (the CLI's `--rewrite`). */
  rewrite: boolean;
  /**
   * Set while the plan is being made: the repos planned so far (`planned` of `total`), provisional,
   * with no plan hash; nothing can run or show a diff until the whole plan replaces it.
   */
  planning?: { planned: number; total: number };
}

export type RepoPhase = 'waiting' | 'prepare' | 'commit' | 'verify' | 'done' | 'failed';

export interface RunResultView {
  kind: 'rollback' | 'undo';
  id: string;
  outcome: 'committed' | 'aborted' | 'recovered' | 'failed' | 'cancelled';
  message: string;
  durationMs?: number;
  /** Can this result be undone from here (a committed rollback not undone yet). */
  canUndo: boolean;
  hasEvidence: boolean;
}

export type PreviewToWebview =
  | { type: 'loading'; message: string }
  | { type: 'plan'; state: PreviewState }
  | { type: 'diff'; diff: DiffView }
  | { type: 'runStarted'; kind: 'rollback' | 'undo'; repos: string[] }
  /** One work-done progress report of the running transaction. */
  | { type: 'progress'; phase: string; done: number; total: number; repo?: string; message?: string }
  | { type: 'result'; result: RunResultView }
  | { type: 'error'; message: string }
  /** The repos changed since the plan shown: it would be refused as stale; a new one is on its way. */
  | { type: 'stale'; message: string }
  /** A repo refuses the whole plan (mid-merge, locked…): offer to leave it out. */
  | { type: 'blocked'; message: string; repo: string; name: string }
  | ProbeMessage
  | PressMessage;

/** The user's choice of what to roll back: absent fields mean "everything in the plan". */
export interface Selection {
  repos?: string[];
  /** Per repo path, the chosen files; a repo missing here keeps all its files. */
  files?: Record<string, string[]>;
}

export type PreviewFromWebview =
  | { type: 'ready' }
  | { type: 'loadDiff'; repo: string; path: string }
  | { type: 'openDiff'; repo: string; path: string }
  | {
      type: 'run';
      selection: Selection;
      force: boolean;
      /** A rolling check for every repo (`rollback --check`). */
      check?: string;
      /** Repos of the plan the user left out through a conflict's way out ("Leave … Out"): the evidence says `conflict`. */
      conflicted?: string[];
    }
  | { type: 'cancel' }
  | { type: 'undo' }
  | { type: 'openEvidence' }
  | { type: 'replan'; mode?: 'restore' | 'replay' }
  /** Plan again without this repo (it blocked the plan). */
  | { type: 'leaveOut'; repo: string }
  /** Plan again with the repos left out put back. */
  | { type: 'includeAgain' }
  /** Roll back (or not) what the campaign pushed to this remote of this repo: the page is planned again. */
  | { type: 'chooseRemote'; repo: string; remote: string; chosen: boolean }
  /** Reset the chosen remotes' advanced branches instead of reverting on top: planned again. */
  | { type: 'rewrite'; on: boolean }
  | { type: 'rendered'; id: number; snapshot: RenderedSnapshot };

// ---------------------------------------------------------------------------------------------
// Campaign history

export interface HistoryStepView {
  /** 0 is the baseline; 1… are steps. */
  n: number;
  at: string;
  snapshot: string;
  message?: string;
  command?: string[];
  files: number;
  added: number;
  removed: number;
  reposChanged: number;
  /** Repos whose command exited non-zero, with the tail of its output. */
  failed: { repo: string; exitCode: number; outputTail: string }[];
  refChanges: { repo: string; from: string | null; to: string | null }[];
  reviewed: boolean;
}

export interface HistoryRecordView {
  repo: string;
  path: string;
  oldPath?: string;
  kind: string;
  added: number;
  removed: number;
  binary: boolean;
}

export interface HistoryState {
  campaign: { id: string; name: string; status: string; createdAt: string; repoCount: number; baseline: string };
  steps: HistoryStepView[];
  /** Repo path → display name. */
  repoNames: Record<string, string>;
}

export type HistoryToWebview =
  | { type: 'campaign'; state: HistoryState; step: number }
  | { type: 'step'; step: number; records: HistoryRecordView[]; total: number }
  | { type: 'diff'; step: number; diff: DiffView }
  | { type: 'reviewed'; step: number; reviewed: boolean }
  | { type: 'error'; message: string }
  | ProbeMessage
  | PressMessage;

export type HistoryFromWebview =
  | { type: 'ready' }
  | { type: 'showStep'; step: number }
  | { type: 'loadDiff'; step: number; repo: string; path: string }
  | { type: 'openDiff'; step: number; repo: string; path: string }
  | { type: 'setReviewed'; step: number; reviewed: boolean }
  | { type: 'previewRollback'; step: number }
  | { type: 'rendered'; id: number; snapshot: RenderedSnapshot };

// ---------------------------------------------------------------------------------------------
// Evidence report

/** What `evidence verify --repos` found, worded for the page. */
export interface VerifyView {
  ok: boolean;
  /** Pack-level problems: digest, patch file, report, signature. */
  problems: string[];
  /** "signed by …", "unsigned …" or "signature BAD …". */
  signature: string;
  repos: { name: string; ok: boolean; problem?: string }[];
}

export type EvidenceToWebview =
  /** The report's body as the server rendered it (escaped; no script, no style attribute). */
  | { type: 'report'; id: string; title: string; html: string; hasReportFile: boolean }
  | { type: 'verifying' }
  | { type: 'verified'; result: VerifyView }
  | { type: 'error'; message: string }
  | ProbeMessage
  | PressMessage;

export type EvidenceFromWebview =
  { type: 'ready' } | { type: 'verify' } | { type: 'openJson' } | { type: 'copyReportPath' } | { type: 'rendered'; id: number; snapshot: RenderedSnapshot };
