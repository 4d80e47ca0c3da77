import * as vscode from 'vscode';
import { CancellationTokenSource, ResponseError } from 'vscode-languageclient/node';
import {
  ErrorData,
  EvidenceRequest,
  PlannedFileSummary,
  RollbackDetailRequest,
  RollbackExecuteRequest,
  RollbackExecuteResult,
  RollbackFileDiffRequest,
  RollbackPlanFilesRequest,
  RollbackPreview,
  RollbackPreviewRequest,
  RollbackUndoRequest,
  maxPageSize,
} from '../../../server/src/protocol';
import { confirmUndo } from '../commands/confirm';
import { openFileDiff } from '../diff/openFileDiff';
import { describeError, isCancel } from '../output';
import { requireClient } from '../serverClient';
import { webviewHtml, webviewOptions } from './html';
import type { PreviewFromWebview, PreviewState, PreviewToWebview, RunResultView, Selection } from './messages';
import { PanelHost } from './panelHost';
import { repoNamer } from './repoNames';
import { sendWithProgress, whenServerRunning } from './serverWork';
import { PreviewTarget } from './target';

/** Files sent to the page at most; a bigger plan is still run whole, the page says how many it hides. */
const maxFilesShown = 20_000;

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
  private last?: { id: string; kind: 'rollback' | 'undo'; committed: boolean };

  static create(extensionUri: vscode.Uri, target: PreviewTarget): PreviewPanel {
    const title = `Rollback Preview: ${shortTarget(target)}`;
    const panel = vscode.window.createWebviewPanel(PreviewPanel.viewType, title, vscode.ViewColumn.Active, webviewOptions(extensionUri));
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'codecontext.svg');
    panel.webview.html = webviewHtml(panel.webview, extensionUri, 'preview', title);
    return new PreviewPanel(panel, target);
  }

  private constructor(
    panel: vscode.WebviewPanel,
    private target: PreviewTarget,
  ) {
    super(panel);
  }

  /** The key under which an open panel is reused for the same target. */
  static keyOf(target: PreviewTarget): string {
    return JSON.stringify([target.snapshot ?? '', target.campaign ?? '', target.step ?? 0, target.mode ?? '']);
  }

  protected async handle(m: PreviewFromWebview): Promise<void> {
    switch (m.type) {
      case 'ready':
        return this.replan();
      case 'replan':
        if (m.mode) this.target = { ...this.target, mode: m.mode };
        return this.replan();
      case 'loadDiff':
        return this.loadDiff(m.repo, m.path);
      case 'openDiff':
        return this.openDiff(m.repo, m.path);
      case 'run':
        return this.run(m.selection, m.force, m.check);
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

  /** Plans again (the toolbar's Refresh); ignored while a rollback runs. */
  refresh(): Promise<void> {
    return this.running ? Promise.resolve() : this.replan().catch((e) => this.onHandlerError(e));
  }

  protected onHandlerError(e: unknown): void {
    if (!isCancel(e)) this.post({ type: 'error', message: describeError(e) });
  }

  protected onDisposed(): void {
    // closing the panel gives up planning, and a run that has not reached its commit phase (after that it finishes)
    this.planning?.cancel();
    this.running?.cancel();
  }

  /** Plans again from the repos as they are now (the first load, Refresh, or a mode switch). */
  private async replan(): Promise<void> {
    this.post({ type: 'loading', message: `Planning the rollback to ${shortTarget(this.target)}…` });
    await whenServerRunning();
    const { preview, files } = await this.plan({});
    this.preview = preview;
    this.files = files;
    this.post({ type: 'plan', state: this.stateOf(preview, files) });
  }

  private async plan(limits: { repos?: string[]; paths?: string[] }): Promise<{ preview: RollbackPreview; files: PlannedFileSummary[] }> {
    const cancel = (this.planning = new CancellationTokenSource());
    try {
      const preview = await sendWithProgress(RollbackPreviewRequest, { ...this.target, ...limits }, () => undefined, cancel);
      const client = requireClient();
      const files: PlannedFileSummary[] = [];
      for (let offset = 0; offset < Math.min(preview.totals.files, maxFilesShown); ) {
        const page = await client.sendRequest(RollbackPlanFilesRequest, { plan: preview.hash, offset, limit: maxPageSize }, cancel.token);
        if (page.items.length === 0) break;
        files.push(...page.items);
        offset += page.items.length;
      }
      return { preview, files };
    } finally {
      if (this.planning === cancel) this.planning = undefined;
      cancel.dispose();
    }
  }

  private stateOf(preview: RollbackPreview, files: PlannedFileSummary[]): PreviewState {
    const name = repoNamer(preview.repos.map((r) => r.path));
    const drift = new Map(preview.repos.map((r) => [r.path, new Set(r.drift)]));
    const conflicts = new Map(preview.repos.map((r) => [r.path, new Map(r.conflicts.filter((c) => c.path).map((c) => [c.path!, c.reason]))]));
    return {
      targetLabel: preview.target.label,
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
        fileCount: r.fileCount,
        headChanged: r.headChanged,
        indexChanged: r.indexChanged,
        drift: r.drift,
        conflicts: r.conflicts.map((c) => ({ path: c.path, reason: c.reason })),
        notes: r.notes,
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
    };
  }

  private async loadDiff(repo: string, path: string): Promise<void> {
    if (!this.preview) return;
    try {
      const d = await requireClient().sendRequest(RollbackFileDiffRequest, { plan: this.preview.hash, repo, path });
      this.post({ type: 'diff', diff: { repo, path, patch: d.patch, added: d.added, removed: d.removed, binary: d.binary } });
    } catch (e) {
      this.post({ type: 'diff', diff: { repo, path, patch: '', added: 0, removed: 0, binary: false, error: describeError(e) } });
    }
  }

  /** The native diff editor: left the file on disk now, right what the rollback writes. */
  private async openDiff(repo: string, path: string): Promise<void> {
    const f = this.files.find((x) => x.repo === repo && x.path === path);
    if (!f || !this.preview) return;
    await openFileDiff({
      repo,
      path,
      left: { kind: 'disk' },
      right: { kind: 'blob', blob: f.blob, mode: f.mode },
      leftLabel: 'now',
      rightLabel: this.preview.target.snapshot.slice(0, 13),
      binary: f.binary,
    });
  }

  private async run(selection: Selection, force: boolean, check?: string): Promise<void> {
    if (!this.preview || this.running) return;
    let plan = this.preview;
    const limits = limitsOf(selection, plan.repos.map((r) => r.path), this.files);
    if (limits) {
      this.post({ type: 'loading', message: 'Planning the chosen repos and files…' });
      const narrowed = await this.plan(limits);
      if (!(await this.acceptNarrowed(selection, narrowed.files))) {
        this.post({ type: 'plan', state: this.stateOf(this.preview, this.files) });
        return;
      }
      plan = narrowed.preview;
    }
    const order = plan.waves.flat();
    await this.transact('rollback', order, (cancel, onReport) => sendWithProgress(RollbackExecuteRequest, { plan: plan.hash, force, ...(check ? { check } : {}) }, onReport, cancel));
  }

  /**
   * The server limits paths for every chosen repo alike; if that brings in a file the user left out
   * in another repo, say so before anything runs.
   */
  private async acceptNarrowed(selection: Selection, files: PlannedFileSummary[]): Promise<boolean> {
    const extra = files.filter((f) => selection.files?.[f.repo] && !selection.files[f.repo].includes(f.path));
    if (extra.length === 0) return true;
    const list = extra.slice(0, 8).map((f) => `${f.repo}: ${f.path}`).join('\n');
    const go = 'Roll Back These Too';
    const answer = await vscode.window.showWarningMessage(
      `Path limits apply to every chosen repo, so ${extra.length} file(s) you left unticked would be rolled back as well.`,
      { modal: true, detail: list + (extra.length > 8 ? `\n… and ${extra.length - 8} more` : '') },
      go,
    );
    return answer === go;
  }

  private async undo(): Promise<void> {
    if (!this.last || this.last.kind !== 'rollback' || !this.last.committed || this.running) return;
    const id = this.last.id;
    // the same confirmation as Undo from the palette, a tree or the toast (commands/confirm.ts)
    if (!(await confirmUndo(await requireClient().sendRequest(RollbackDetailRequest, { id })))) return;
    const order = this.preview?.waves.flat() ?? [];
    await this.transact('undo', order, (cancel, onReport) => sendWithProgress(RollbackUndoRequest, { rollback: id }, onReport, cancel));
  }

  /** Runs a rollback or an undo, relaying its progress to the page, and posts how it ended. */
  private async transact(
    kind: 'rollback' | 'undo',
    repos: string[],
    send: (cancel: CancellationTokenSource, onReport: Parameters<typeof sendWithProgress>[2]) => Promise<RollbackExecuteResult>,
  ): Promise<void> {
    const cancel = (this.running = new CancellationTokenSource());
    this.post({ type: 'runStarted', kind, repos });
    let result: RunResultView;
    try {
      const { record } = await send(cancel, (detail, message) => {
        if (detail) this.post({ type: 'progress', phase: detail.phase, done: detail.done, total: detail.total, repo: detail.repo, message });
      });
      const committed = record.outcome === 'committed';
      this.last = { id: record.id, kind, committed };
      const what = kind === 'undo' ? `Undo ${record.id}` : `Rollback ${record.id}`;
      result = {
        kind,
        id: record.id,
        outcome: record.outcome,
        durationMs: record.durationMs,
        canUndo: kind === 'rollback' && committed,
        hasEvidence: !!record.evidence,
        message: committed
          ? `${what} committed: ${record.repos.length} repo(s) ${kind === 'undo' ? 'are back where they were' : `rolled back to ${record.target.label}`}.`
          : `${what} ended ${record.outcome}${record.error ? `: ${record.error.message}` : ''}.`,
      };
    } catch (e) {
      result = failureOf(kind, e);
      if (result.id) this.last = { id: result.id, kind, committed: false };
    } finally {
      cancel.dispose();
      this.running = undefined;
    }
    this.post({ type: 'result', result });
  }

  private async openEvidence(): Promise<void> {
    if (!this.last) return;
    const { file } = await requireClient().sendRequest(EvidenceRequest, { rollback: this.last.id });
    await vscode.window.showTextDocument(vscode.Uri.file(file), { preview: false });
  }
}

/** The execute request's limits for a selection; undefined when everything in the plan is chosen. */
export function limitsOf(selection: Selection, planRepos: readonly string[], files: readonly PlannedFileSummary[]): { repos: string[]; paths?: string[] } | undefined {
  const repos = selection.repos ?? [...planRepos];
  const partial = repos.some((r) => selection.files?.[r] !== undefined && selection.files[r].length < files.filter((f) => f.repo === r).length);
  if (repos.length === planRepos.length && !partial) return undefined;
  if (!partial) return { repos };
  // a leading slash anchors the glob at the repo root, so "a.ts" does not also match "src/a.ts"
  const paths = new Set<string>();
  // and every glob character escaped, so a file named "a*b.ts" selects only itself
  for (const r of repos) for (const f of files) if (f.repo === r && (selection.files?.[r]?.includes(f.path) ?? true)) paths.add(`/${f.path.replace(/[*?[\]\\]/g, '\\$&')}`);
  return { repos, paths: [...paths] };
}

function failureOf(kind: 'rollback' | 'undo', e: unknown): RunResultView {
  if (isCancel(e)) return { kind, id: '', outcome: 'cancelled', message: 'Cancelled before the commit phase: nothing was changed.', canUndo: false, hasEvidence: false };
  const data = e instanceof ResponseError ? (e.data as ErrorData | undefined) : undefined;
  const stale = data?.code === 'PlanStale' ? ' The repos changed since this preview: Refresh to plan again.' : '';
  const drift = data?.code === 'Drift' ? ' Tick "Overwrite drifted files" to roll back over them (the safety snapshot keeps them).' : '';
  return {
    kind,
    id: data?.rollback ?? '',
    outcome: data?.rollback ? (data.outcome ?? 'aborted') : 'failed',
    message: `${kind === 'undo' ? 'Undo' : 'Rollback'} failed: ${describeError(e)}.${stale}${drift}${data?.rollback ? ' Every repo is back where it was.' : ''}`,
    canUndo: false,
    hasEvidence: !!data?.rollback,
  };
}

function shortTarget(t: PreviewTarget): string {
  if (t.snapshot) return t.snapshot.slice(0, 13);
  return t.step ? `${t.campaign} before step ${t.step}` : `${t.campaign} baseline`;
}
