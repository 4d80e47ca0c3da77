import { randomUUID } from 'crypto';
import * as vscode from 'vscode';
import { CancellationTokenSource, ResponseError } from 'vscode-languageclient/node';
import {
  CampaignDetailRequest,
  CodeContextProgressReport,
  ErrorData,
  PlannedFileSummary,
  RollbackDetailRequest,
  RollbackExecuteRequest,
  RollbackExecuteResult,
  RollbackFileDiffRequest,
  RollbackPlanFilesRequest,
  RollbackPreview,
  RollbackPreviewParams,
  RollbackPreviewPart,
  RollbackPreviewPartType,
  RollbackPreviewRequest,
  RollbackRecord,
  RollbackUndoRequest,
  maxPageSize,
} from '../../../server/src/protocol';
import { confirmUndo, consentToRepoChecks } from '../commands/confirm';
import { openFileDiff, plannedFileDiff } from '../diff/openFileDiff';
import { describeError, isCancel } from '../output';
import { onDidChangeStore, requireClient } from '../serverClient';
import { changedRepos, plural, repoName } from '../views/format';
import { createPanel } from './html';
import type { PreviewFromWebview, PreviewState, PreviewToWebview, RunResultView, Selection } from './messages';
import { PanelHost } from './panelHost';
import { repoNamer } from './repoNames';
import { RepoWatch } from './repoWatch';
import { whenServerRunning } from './serverWork';
import { sendWithProgress } from '../request';
import { PreviewTarget } from './target';

/** Files sent to the page at most; a bigger plan is still run whole, the page says how many it hides. */
const maxFilesShown = 20_000;
/**
 * While a plan is made, the repos planned so far go to the page at most this often, and no more
 * often than a millisecond per repo drawn: each post redraws the plan, so thousands of repos are
 * redrawn every few seconds rather than keeping the page busy.
 */
const partEveryMs = 400;

/**
 * The "Rollback preview" panel: plans a rollback (nothing changes), shows it, lets the user narrow it
 * to chosen repos and files, runs it with live per-repo progress, then offers its evidence and undo.
 * The server keeps the plan under its hash; what runs is exactly the plan the page shows (a narrowed
 * selection is previewed again first, and that plan's hash runs).
 */
export class PreviewPanel extends PanelHost<PreviewToWebview, PreviewFromWebview> {
  static readonly viewType = 'codecontext.rollbackPreview';

  private preview?: RollbackPreview;
  private files: PlannedFileSummary[] = [];
  private running?: CancellationTokenSource;
  private planning?: CancellationTokenSource;
  /** The last run's record (its evidence is what Open Evidence opens). */
  private last?: { id: string; kind: 'rollback' | 'undo'; committed: boolean };
  /** The rollback this page committed and nothing has undone yet: what its Undo undoes, also after an undo that failed. */
  private undoable?: string;
  /** Repos left out because they blocked the plan (mid-merge…); every plan of this panel leaves them out. */
  private exclude: string[] = [];
  /** The remotes the user chose to roll back too, per repo; and revert or rewrite. */
  private remotes: { repo: string; remote: string }[] = [];
  private rewrite = false;
  /** The next plan chooses every remote that holds campaign work (opened with `remotes`). */
  private allRemotesNext = false;
  /** The campaign's name, for the tab and the messages (the target names it by id). */
  private campaignName?: string;
  private readonly watching = new RepoWatch((changed) => this.reposChanged(changed));
  private watched: string[] = [];
  /** A change arrived while a plan was being made: plan once more when it is done. */
  private changedWhilePlanning = false;
  /** Settles when the plan being made is on the page (or failed): a diff asked for while the page showed the repos planned so far waits for it. */
  private planned: Promise<void> = Promise.resolve();
  /** A run's result is on the page: changes (our own rollback's among them) wait for "Preview Again". */
  private showingResult = false;
  /** Left-out repos tried again after a change: if one still blocks, it is left out again without a word. */
  private readonly retrying = new Set<string>();

  static create(extensionUri: vscode.Uri, target: PreviewTarget): PreviewPanel {
    const title = `Rollback Preview: ${
      target.snapshot
        ? target.snapshot.slice(0, 13)
        : target.onlyStep
          ? `step ${target.onlyStep}${target.file ? ` in ${fileName(target.file.path)}` : ''}`
          : target.step
            ? `before step ${target.step}`
            : 'baseline'
    }`;
    const panel = createPanel(extensionUri, PreviewPanel.viewType, 'preview', title);
    return new PreviewPanel(panel, target);
  }

  private constructor(
    panel: vscode.WebviewPanel,
    private target: PreviewTarget,
  ) {
    super(panel);
    this.allRemotesNext = !!target.remotes;
    // an undo from elsewhere (a tree, the palette, the CLI) of the rollback this page shows: the page follows it
    this.scope.push(
      onDidChangeStore(({ kinds }) => {
        if (kinds.includes('rollbacks')) void this.undoneElsewhere().catch(() => undefined);
      }),
    );
  }

  /** Asked again with the remotes: every remote that holds campaign work is chosen, and the plan made again. */
  chooseAllRemotes(): void {
    this.allRemotesNext = true;
    void this.refresh();
  }

  /** The rollback on the page was undone from elsewhere: its result no longer says what the repos hold, so the page plans again. */
  private async undoneElsewhere(): Promise<void> {
    // the page's rollback, whatever the page shows of it now (its result, or an undo of it that failed)
    const shown = this.undoable;
    if (!shown || this.running || !this.showingResult) return;
    const record = await requireClient().sendRequest(RollbackDetailRequest, { id: shown });
    if (!record.undoneBy || this.undoable !== shown || this.running) return;
    this.last = undefined;
    this.undoable = undefined;
    this.showingResult = false;
    this.post({ type: 'stale', message: `Rollback ${shown} was undone by ${record.undoneBy} from elsewhere: planning again…` });
    await this.replan();
  }

  /** The key under which an open panel is reused for the same target. */
  static keyOf(target: PreviewTarget): string {
    return JSON.stringify([
      target.snapshot ?? '',
      target.campaign ?? '',
      target.step ?? 0,
      target.mode ?? '',
      ...(target.onlyStep ? [target.onlyStep] : []),
      ...(target.file ? [target.file.repo, target.file.path] : []),
    ]);
  }

  protected async handle(m: PreviewFromWebview): Promise<void> {
    switch (m.type) {
      case 'ready':
        return this.replan();
      case 'replan':
        if (m.mode) this.target = { ...this.target, mode: m.mode };
        return this.replan();
      case 'leaveOut':
        if (!this.exclude.includes(m.repo)) this.exclude.push(m.repo);
        return this.replan();
      case 'includeAgain':
        this.exclude = [];
        return this.replan();
      case 'chooseRemote':
        this.remotes = this.remotes.filter((r) => r.repo !== m.repo || r.remote !== m.remote);
        if (m.chosen) this.remotes.push({ repo: m.repo, remote: m.remote });
        return this.replan();
      case 'rewrite':
        this.rewrite = m.on;
        return this.replan();
      case 'loadDiff':
        return this.loadDiff(m.repo, m.path);
      case 'openDiff':
        return this.openDiff(m.repo, m.path);
      case 'run':
        return this.run(m.selection, m.force, m.check, m.conflicted);
      case 'cancel':
        this.running?.cancel();
        return;
      case 'undo':
        return this.undo();
      case 'openEvidence':
        return this.openEvidence();
      case 'rendered':
        return;
    }
  }

  /** Plans again (the toolbar's Refresh, or the panel opened again from a tree); ignored while a rollback runs. */
  refresh(): Promise<void> {
    return this.running ? Promise.resolve() : this.replan().catch((e) => this.onHandlerError(e));
  }

  /** The panel was asked for again: a plan made before whatever happened since is not shown as current. */
  revealed(): void {
    if (!this.running && !this.showingResult) void this.refresh();
  }

  protected onHandlerError(e: unknown): void {
    if (!isCancel(e)) this.post({ type: 'error', message: describeError(e) });
  }

  protected onDisposed(): void {
    // closing the panel gives up planning, and a run that has not reached its commit phase (after that it finishes)
    this.planning?.cancel();
    this.running?.cancel();
    this.watching.dispose();
  }

  /** Plans again from the repos as they are now (the first load, Refresh, a mode switch, a change on disk). */
  private async replan(): Promise<void> {
    if (this.planning) {
      this.changedWhilePlanning = true;
      return;
    }
    this.showingResult = false;
    let settle = () => {};
    this.planned = new Promise((resolve) => (settle = resolve));
    try {
      await this.replanOnce();
    } finally {
      settle();
    }
  }

  private async replanOnce(): Promise<void> {
    await whenServerRunning();
    await this.nameTarget();
    this.post({ type: 'loading', message: `Planning the rollback to ${this.targetText()}…` });
    let planned: { preview: RollbackPreview; files: PlannedFileSummary[] };
    try {
      planned = await this.plan({}, true);
    } catch (e) {
      const blocker = blockingRepo(e);
      if (!blocker) throw e;
      // a left-out repo tried again after it changed, still blocked: it stays left out, quietly
      if (this.retrying.delete(blocker)) {
        this.exclude.push(blocker);
        return this.replan();
      }
      // watch the repo that blocks, so aborting its merge brings the plan back by itself
      this.watch([blocker]);
      const message = describeError(e);
      const reason = message.startsWith(`${blocker}: `) ? message.slice(blocker.length + 2) : message;
      this.post({ type: 'blocked', repo: blocker, name: repoNamer([blocker])(blocker), message: reason });
      return;
    } finally {
      if (this.changedWhilePlanning) {
        this.changedWhilePlanning = false;
        void this.refresh();
      }
    }
    const { preview, files } = planned;
    // planned with every remote: from now on the user's choice is per repo and remote, starting from what was chosen
    if (this.allRemotesNext) {
      this.allRemotesNext = false;
      this.remotes = preview.repos.flatMap((r) => (r.remoteChoices ?? []).filter((c) => c.chosen).map((c) => ({ repo: r.path, remote: c.remote })));
    }
    this.retrying.clear();
    this.preview = preview;
    this.files = files;
    this.panel.title = `Rollback Preview: ${this.target.file ? this.targetText() : preview.target.label}`;
    // the repos left out because they blocked are watched too: one that is unblocked (a merge aborted) comes back by itself
    this.watch([...preview.repos.map((r) => r.path), ...this.exclude]);
    this.post({ type: 'plan', state: this.stateOf(preview, files) });
  }

  /** Follows these repos on disk (the plan's, or the one that blocks it). */
  private watch(repos: string[]): void {
    this.watched = repos;
    this.watching.set(repos);
  }

  /** A change on disk makes the plan shown stale: said at once, then planned again. */
  private reposChanged(changed: string[]): void {
    if (this.running || this.showingResult) return;
    // a repo left out because it blocked the plan changed: try it again (it stays out if it still blocks)
    for (const r of changed.filter((c) => this.exclude.includes(c))) {
      this.exclude = this.exclude.filter((x) => x !== r);
      this.retrying.add(r);
    }
    const names = repoNamer(this.watched);
    this.post({ type: 'stale', message: `${changed.map(names).join(', ')} changed since this plan was made: planning again…` });
    void this.refresh();
  }

  private async nameTarget(): Promise<void> {
    if (!this.target.campaign || this.campaignName) return;
    const c = await requireClient()
      .sendRequest(CampaignDetailRequest, { id: this.target.campaign })
      .then(undefined, () => undefined);
    this.campaignName = c?.name;
    if (c) this.panel.title = `Rollback Preview: ${this.targetText()}`;
  }

  private targetText(): string {
    const t = this.target;
    if (t.snapshot) return t.snapshot.slice(0, 13);
    const name = this.campaignName ?? t.campaign;
    const file = t.file ? ` in ${repoNamer([t.file.repo])(t.file.repo)}/${t.file.path}` : '';
    if (t.onlyStep) return `${name} step ${t.onlyStep}${file}`;
    return t.step ? `${name} before step ${t.step}` : `${name} baseline`;
  }

  /** Plans on the server; `drawn`: the repos planned so far are drawn while the rest is planned (issue 24, item 5). */
  private async plan(
    limits: Pick<RollbackPreviewParams, 'repos' | 'files' | 'conflicted'>,
    drawn = false,
  ): Promise<{ preview: RollbackPreview; files: PlannedFileSummary[] }> {
    const cancel = (this.planning = new CancellationTokenSource());
    const parts = drawn ? this.drawParts() : undefined;
    try {
      const { remotes: _all, file, ...target } = this.target;
      const params: RollbackPreviewParams = {
        ...target,
        // one file of one repo (campaign blame's "Revert This Step in This File…"): the rest of the target is left as it is
        ...(file ? { repos: [file.repo], files: { [file.repo]: [file.path] } } : {}),
        ...limits,
        ...(parts ? { partialResultToken: parts.token } : {}),
        ...(this.exclude.length ? { exclude: this.exclude } : {}),
        ...(this.allRemotesNext
          ? { remotes: true as const, rewrite: this.rewrite }
          : this.remotes.length
            ? { remotes: this.remotes, rewrite: this.rewrite }
            : {}),
      };
      const preview = await sendWithProgress(RollbackPreviewRequest, params, cancel.token);
      const client = requireClient();
      const files: PlannedFileSummary[] = [];
      for (let offset = 0; offset < Math.min(preview.totals.files, maxFilesShown);) {
        const page = await client.sendRequest(RollbackPlanFilesRequest, { plan: preview.hash, offset, limit: maxPageSize }, cancel.token);
        if (page.items.length === 0) break;
        files.push(...page.items);
        offset += page.items.length;
      }
      return { preview, files };
    } finally {
      parts?.dispose();
      if (this.planning === cancel) this.planning = undefined;
      cancel.dispose();
    }
  }

  /**
   * Listens for the parts of a plan being made and draws the repos planned so far, first wave
   * first, at most every `partEveryMs`. The page shows them as provisional: nothing can run, and
   * the whole plan replaces them when it comes.
   */
  private drawParts(): { token: string; dispose(): void } {
    const token = randomUUID();
    const repos: RollbackPreview['repos'] = [];
    const files: PlannedFileSummary[] = [];
    let last: RollbackPreviewPart | undefined;
    let filesLeft = 0;
    let timer: NodeJS.Timeout | undefined;
    let postedAt = 0;
    const draw = () => {
      timer = undefined;
      if (!last || this.planning === undefined) return;
      postedAt = Date.now();
      const totals = {
        repos: repos.length,
        reposChanged: repos.filter((r) => r.changed).length,
        files: files.length + filesLeft,
        added: files.reduce((n, f) => n + f.added, 0),
        removed: files.reduce((n, f) => n + f.removed, 0),
        drift: repos.reduce((n, r) => n + r.drift.length, 0),
        unsaved: repos.reduce((n, r) => n + r.unsaved.length, 0),
        conflicts: repos.reduce((n, r) => n + r.conflicts.length, 0),
      };
      const sofar = { mode: last.mode, target: last.target, hash: '', createdAt: '', totals, waves: last.waves, cycles: last.cycles, repos };
      this.post({ type: 'plan', state: { ...this.stateOf(sofar, files), planning: { planned: last.planned, total: last.total } } });
    };
    const listening = requireClient().onProgress(RollbackPreviewPartType, token, (part) => {
      last = part;
      repos.push(...part.repos);
      const room = Math.max(0, maxFilesShown - files.length);
      files.push(...part.files.slice(0, room));
      filesLeft += part.filesLeft + Math.max(0, part.files.length - room);
      // the first part is drawn as it arrives, before the response it precedes can end the planning
      if (postedAt === 0) draw();
      else if (!timer) timer = setTimeout(draw, Math.max(0, postedAt + Math.max(partEveryMs, repos.length) - Date.now()));
    });
    return {
      token,
      dispose: () => {
        listening.dispose();
        clearTimeout(timer);
      },
    };
  }

  private stateOf(
    preview: Pick<RollbackPreview, 'mode' | 'target' | 'hash' | 'createdAt' | 'totals' | 'waves' | 'cycles' | 'repos'>,
    files: PlannedFileSummary[],
  ): PreviewState {
    const name = repoNamer([...preview.repos.map((r) => r.path), ...this.exclude]);
    const drift = new Map(preview.repos.map((r) => [r.path, new Set(r.drift.flatMap((d) => (d.kind === 'file' ? [d.path] : [])))]));
    const conflicts = new Map(preview.repos.map((r) => [r.path, new Map(r.conflicts.filter((c) => c.path).map((c) => [c.path!, c.reason]))]));
    const file = this.target.file;
    return {
      targetLabel: preview.target.label,
      ...(file
        ? {
            heading: this.target.onlyStep
              ? `Revert step ${this.target.onlyStep} of ${this.campaignName ?? this.target.campaign} in ${name(file.repo)}/${file.path}`
              : `Roll back ${name(file.repo)}/${file.path} to ${preview.target.label}`,
          }
        : {}),
      mode: preview.mode,
      planHash: preview.hash,
      createdAt: preview.createdAt,
      totals: preview.totals,
      waves: preview.waves,
      cycles: preview.cycles,
      repos: preview.repos.map((r) => ({
        path: r.path,
        name: name(r.path),
        wave: r.wave,
        dependsOn: (r.dependsOn ?? []).map(name),
        after: r.after.map(name),
        fileCount: r.fileCount,
        headChanged: r.headChanged,
        indexChanged: r.indexChanged,
        changed: r.changed,
        edits: r.edits.map((e) => ({ label: e.label, ...(e.kind === 'file' ? { path: e.path } : {}), lostWith: e.lostWith })),
        conflicts: r.conflicts.map((c) => ({ path: c.path, reason: c.reason, ...(c.hunk ? { hunk: c.hunk } : {}) })),
        notes: r.notes,
        remotes: r.remoteLines,
        remoteChoices: r.remoteChoices ?? [],
        pushes: r.pushLines ?? [],
      })),
      files: files.map((f) => ({
        repo: f.repo,
        path: f.path,
        change: f.change,
        added: f.added,
        removed: f.removed,
        binary: f.binary,
        drift: drift.get(f.repo)?.has(f.path) ?? false,
        conflict: conflicts.get(f.repo)?.get(f.path),
      })),
      filesTruncated: files.length < preview.totals.files,
      excluded: this.exclude.map(name),
      rewrite: this.rewrite,
    };
  }

  private async loadDiff(repo: string, path: string): Promise<void> {
    // asked while the page showed the repos planned so far: the plan that can name the file is on its way
    if (this.planning) await this.planned;
    if (!this.preview) return;
    try {
      const d = await requireClient().sendRequest(RollbackFileDiffRequest, { plan: this.preview.hash, repo, path });
      const drift = d.driftLines ? { driftLines: d.driftLines } : {};
      this.post({ type: 'diff', diff: { repo, path, patch: d.patch, added: d.added, removed: d.removed, binary: d.binary, ...drift } });
    } catch (e) {
      this.post({ type: 'diff', diff: { repo, path, patch: '', added: 0, removed: 0, binary: false, error: describeError(e) } });
    }
  }

  /** The native diff editor: left the file on disk now, right what the rollback writes. */
  private async openDiff(repo: string, path: string): Promise<void> {
    const f = this.files.find((x) => x.repo === repo && x.path === path);
    if (!f || !this.preview) return;
    await openFileDiff(plannedFileDiff(f, this.preview.target.snapshot.slice(0, 13)));
  }

  private async run(selection: Selection, force: boolean, check?: string, conflicted: string[] = []): Promise<void> {
    if (!this.preview || this.running) return;
    let [plan, files] = [this.preview, this.files];
    const chosen = limitsOf(
      selection,
      plan.repos.map((r) => r.path),
      files,
    );
    // a repo left out through a conflict's way out is recorded as such (the evidence's `leftOut` reason `conflict`)
    const left = conflicted.filter((r) => chosen && !chosen.repos.includes(r));
    const limits = chosen && (left.length ? { ...chosen, conflicted: left.map((repo) => ({ repo })) } : chosen);
    if (limits) {
      this.post({ type: 'loading', message: 'Planning the chosen repos and files…' });
      ({ preview: plan, files } = await this.plan(limits));
    }
    const order = plan.waves.flat();
    const name = repoNamer(this.preview.repos.map((x) => x.path));
    const drift = plan.repos.flatMap((r) => r.edits.map((e) => `${name(r.path)}${e.kind === 'file' ? '/' : ' '}${e.label}`));
    // the files this run changes, named: the server refuses a plan that would change any other
    const exact = files.length === plan.totals.files ? { files: filesByRepo(files) } : {};
    // a check the user typed replaces the repos' own; otherwise each of theirs needs consent
    const consent = check ? {} : await consentToRepoChecks(plan.repoChecks);
    if (!consent) return;
    const params = { plan: plan.hash, force, ...(check ? { check } : {}), ...exact, ...consent };
    await this.transact('rollback', order, (cancel, onReport) => sendWithProgress(RollbackExecuteRequest, params, cancel.token, onReport), drift);
  }

  private async undo(): Promise<void> {
    const id = this.undoable;
    if (!id || this.running) return;
    // the same confirmation as Undo from the palette, a tree or the toast (commands/confirm.ts)
    const choice = await confirmUndo(await requireClient().sendRequest(RollbackDetailRequest, { id }));
    if (!choice) return;
    const order = this.preview?.waves.flat() ?? [];
    await this.transact('undo', order, (cancel, onReport) => sendWithProgress(RollbackUndoRequest, { rollback: id, ...choice }, cancel.token, onReport));
  }

  /** Runs a rollback or an undo, relaying its progress to the page, and posts how it ended. */
  private async transact(
    kind: 'rollback' | 'undo',
    repos: string[],
    send: (cancel: CancellationTokenSource, onReport: (report: CodeContextProgressReport) => void) => Promise<RollbackExecuteResult>,
    drift: string[] = [],
  ): Promise<void> {
    const cancel = (this.running = new CancellationTokenSource());
    this.post({ type: 'runStarted', kind, repos });
    let result: RunResultView;
    try {
      const { record } = await send(cancel, ({ detail, message }) => {
        if (detail) this.post({ type: 'progress', phase: detail.phase, done: detail.done, total: detail.total, repo: detail.repo, message });
      });
      const committed = record.outcome === 'committed';
      this.last = { id: record.id, kind, committed };
      if (committed) this.undoable = kind === 'rollback' ? record.id : undefined;
      const what = kind === 'undo' ? `Undo ${record.id}` : `Rollback ${record.id}`;
      result = {
        kind,
        id: record.id,
        outcome: record.outcome,
        durationMs: record.durationMs,
        canUndo: kind === 'rollback' && committed,
        hasEvidence: !!record.evidence,
        message: committed
          ? `${what} committed: ${plural(changedRepos(record), 'repo')} ${
              kind === 'undo' ? (changedRepos(record) === 1 ? 'is back where it was' : 'are back where they were') : `rolled back to ${record.target.label}`
            }${pushedWords(record)}.`
          : `${what} ended ${record.outcome}${record.error ? `: ${record.error.message}` : ''}.`,
      };
    } catch (e) {
      result = failureOf(kind, e, drift);
      if (result.id) this.last = { id: result.id, kind, committed: false };
      // an undo that failed undid nothing: the rollback can still be undone from here
      if (kind === 'undo' && this.undoable) result = { ...result, canUndo: true };
    } finally {
      cancel.dispose();
      this.running = undefined;
    }
    this.showingResult = true;
    this.post({ type: 'result', result });
  }

  /** The rendered report, as Open Evidence shows it everywhere else (not the raw JSON). */
  private async openEvidence(): Promise<void> {
    if (this.last) await vscode.commands.executeCommand('codecontext.openEvidence', this.last.id);
  }
}

/**
 * The plan limits for a selection: the chosen repos, and per repo whose files were not all ticked,
 * exactly those files (never globs: a file named `a*b.ts` is that file). Undefined when everything
 * in the plan is chosen.
 */
export function limitsOf(
  selection: Selection,
  planRepos: readonly string[],
  files: readonly PlannedFileSummary[],
): { repos: string[]; files?: Record<string, string[]> } | undefined {
  const repos = selection.repos ?? [...planRepos];
  const exact: Record<string, string[]> = {};
  for (const r of repos) {
    const ticked = selection.files?.[r];
    if (ticked !== undefined && ticked.length < files.filter((f) => f.repo === r).length) exact[r] = [...ticked];
  }
  const partial = Object.keys(exact).length > 0;
  if (repos.length === planRepos.length && !partial) return undefined;
  return partial ? { repos, files: exact } : { repos };
}

/** A plan's files as `{ [repo]: paths[] }`. */
export function filesByRepo(files: readonly PlannedFileSummary[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const f of files) (out[f.repo] ??= []).push(f.path);
  return out;
}

/** The repo a refused plan names when it is the repo's state that refuses (mid-merge, locked…): one the user can leave out. */
function blockingRepo(e: unknown): string | undefined {
  const data = e instanceof ResponseError ? (e.data as ErrorData | undefined) : undefined;
  const blocking = ['MergeInProgress', 'RebaseInProgress', 'OperationInProgress', 'UnmergedEntries', 'RepositoryIsLocked', 'RepoMissing', 'NotARepository'];
  return data?.repo && blocking.includes(data.code) ? data.repo : undefined;
}

function failureOf(kind: 'rollback' | 'undo', e: unknown, drift: readonly string[]): RunResultView {
  if (isCancel(e))
    return { kind, id: '', outcome: 'cancelled', message: 'Cancelled before the commit phase: nothing was changed.', canUndo: false, hasEvidence: false };
  const data = e instanceof ResponseError ? (e.data as ErrorData | undefined) : undefined;
  const what = kind === 'undo' ? 'Undo' : 'Rollback';
  const back = data?.rollback ? ' Every repo is back where it was.' : '';
  let message = `${what} failed: ${describeError(e)}.`;
  if (data?.code === 'PlanStale') message = `${what} refused: the repos changed since this preview, so nothing was changed. Refresh to plan again.`;
  if (data?.code === 'Drift' && kind === 'undo') {
    // the confirmation named no edit, and one came after it: the next Undo names it and offers the choices
    const file = data.repo && data.path !== undefined ? `${repoName(data.repo)}/${data.path}` : 'a file';
    message =
      `Undo stopped before changing anything: ${file} was edited after the rollback, after you confirmed. ` +
      'Press Undo again to choose what becomes of the edits (leave them out, keep them, or overwrite them).';
  } else if (data?.code === 'Drift') {
    // the engine's words are the CLI's ("use --force"); here the choice is the page's
    const list = drift.length ? drift.join(', ') : 'files edited since the campaign';
    message =
      `${what} stopped before changing anything: ${plural(drift.length || 1, 'file was', 'files were')} edited after the campaign (${list}). ` +
      'Choose "Overwrite my edits", leave those files out, or switch to Replay, then run again.';
  }
  return {
    kind,
    id: data?.rollback ?? '',
    outcome: data?.rollback ? (data.outcome ?? 'aborted') : 'failed',
    message: message + back,
    canUndo: false,
    hasEvidence: !!data?.rollback,
  };
}

/** What a committed run pushed, for its result line: the remotes are named, not counted alone. */
function pushedWords(record: RollbackRecord): string {
  const pushed = (record.pushes ?? []).filter((p) => p.pushed);
  if (!pushed.length) return '';
  const names = [...new Set(pushed.map((p) => `${p.remote} of ${p.repo.split(/[\\/]/).pop()}`))];
  return `, and on ${plural(pushed.length, 'remote')} too (${names.join(', ')})`;
}

/** A path's last name (`lib/utils.js` → `utils.js`), for a tab title. */
function fileName(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}
