import * as vscode from 'vscode';
import { Campaign, CampaignChangesRequest, CampaignDetailRequest, CampaignDiffRequest, StoredChangeRecord, maxPageSize } from '../../../server/src/protocol';
import { openFileDiff, stepFileDiff } from '../diff/openFileDiff';
import { ReviewFocus } from '../review/focus';
import { describeError } from '../output';
import { onDidChangeStore, requireClient } from '../serverClient';
import { createPanel } from './html';
import type { DiffView, HistoryFromWebview, HistoryState, HistoryToWebview } from './messages';
import { PanelHost } from './panelHost';
import { repoNamer } from './repoNames';
import { ReviewedSteps } from './reviewed';
import { whenServerRunning } from './serverWork';

/** Records sent per step at most (a step touching more files says how many it leaves out). */
const maxRecordsShown = 20_000;
/** Diff text longer than this is not drawn inline (the diff editor still opens the file). */
const maxInlineChars = 2 * 1024 * 1024;

/**
 * The "Campaign history" panel, for reviewers: the steps on a timeline, one step at a time with its
 * change records across repos, per-file diffs inline or in the diff editor, and a "reviewed" mark per
 * step kept in the workspace state. Follows the store: a new checkpoint appears without a reload.
 * Opens at the first step not yet reviewed. The step shown is the review focus, so the review tree
 * shows its files (and the tree's Prev / Next move the panel). Diffs come from the server, from the
 * producer `codecontext campaign diff` prints, so both show the same text for a step.
 */
export class HistoryPanel extends PanelHost<HistoryToWebview, HistoryFromWebview> {
  static readonly viewType = 'codecontext.campaignHistory';

  private campaign?: Campaign;
  private step = 0;
  private records: StoredChangeRecord[] = [];

  static create(extensionUri: vscode.Uri, campaignId: string, reviewed: ReviewedSteps, focus: ReviewFocus): HistoryPanel {
    const title = `Campaign History: ${campaignId}`;
    const panel = createPanel(extensionUri, HistoryPanel.viewType, 'history', title);
    return new HistoryPanel(panel, campaignId, reviewed, focus);
  }

  private constructor(
    panel: vscode.WebviewPanel,
    readonly campaignId: string,
    private readonly reviewed: ReviewedSteps,
    private readonly focus: ReviewFocus,
  ) {
    super(panel);
    // where this panel is, for diffs to open beside it; read while it is alive (a disposed panel throws)
    let column = panel.viewColumn;
    const placed = () => {
      column = panel.viewColumn;
      if (panel.visible) focus.historyColumn = column;
      else if (focus.historyColumn === column) focus.historyColumn = undefined;
    };
    placed();
    this.scope.push(
      onDidChangeStore((e) => {
        if (this.campaign && e.kinds.includes('campaigns')) void this.load(this.step).catch((err) => this.onHandlerError(err));
      }),
      // the review tree's Prev / Next, or a step picked there: the panel follows
      focus.onDidChange((t) => {
        if (t && this.campaign && t.campaign === this.campaign.id && t.step !== this.step) void this.showStep(t.step).catch((err) => this.onHandlerError(err));
      }),
      reviewed.onDidChange((e) => {
        if (e.campaign === this.campaign?.id) this.post({ type: 'reviewed', step: e.step, reviewed: e.reviewed });
      }),
      panel.onDidChangeViewState(placed),
      new vscode.Disposable(() => {
        if (focus.historyColumn === column) focus.historyColumn = undefined;
      }),
    );
  }

  /** Moves to `step` (1-based), as the Prev / Next buttons do; the toolbar commands use it. */
  show(step: number): Promise<void> {
    return this.showStep(step);
  }

  get currentStep(): number {
    return this.step;
  }

  get stepCount(): number {
    return this.campaign?.steps.length ?? 0;
  }

  protected async handle(m: HistoryFromWebview): Promise<void> {
    switch (m.type) {
      case 'ready':
        return this.load(this.step);
      case 'showStep':
        return this.showStep(m.step);
      case 'loadDiff':
        return this.loadDiff(m.step, m.repo, m.path);
      case 'openDiff':
        return this.openDiff(m.step, m.repo, m.path);
      case 'setReviewed':
        // the change event posts `reviewed` to this page (and redraws the review tree)
        await this.reviewed.set(this.campaign?.id ?? this.campaignId, m.step, m.reviewed);
        return;
      case 'previewRollback':
        await vscode.commands.executeCommand('codecontext.previewRollback', { campaign: this.campaign?.id ?? this.campaignId, step: m.step });
        return;
      case 'rendered':
        return;
    }
  }

  protected onHandlerError(e: unknown): void {
    this.post({ type: 'error', message: describeError(e) });
  }

  /** (Re)reads the campaign; stays on `step` if it still exists; at first, shows the first step not yet reviewed (else the newest). */
  private async load(step: number): Promise<void> {
    await whenServerRunning();
    const campaign = await requireClient().sendRequest(CampaignDetailRequest, { id: this.campaign?.id ?? this.campaignId });
    this.campaign = campaign;
    this.panel.title = `Campaign History: ${campaign.name}`;
    const name = repoNamer(campaign.repos);
    const reviewed = this.reviewed.get(campaign.id);
    const state: HistoryState = {
      campaign: {
        id: campaign.id,
        name: campaign.name,
        status: campaign.status,
        createdAt: campaign.createdAt,
        repoCount: campaign.repos.length,
        baseline: campaign.baseline,
      },
      steps: campaign.steps.map((s) => ({
        n: s.n,
        at: s.at,
        snapshot: s.snapshot,
        message: s.message,
        command: s.command,
        files: s.counts.added + s.counts.modified + s.counts.deleted + s.counts.renamed + s.counts.mode,
        added: s.counts.linesAdded,
        removed: s.counts.linesRemoved,
        reposChanged: s.reposChanged,
        failed: (s.results ?? []).filter((r) => r.exitCode !== 0).map((r) => ({ repo: r.repo, exitCode: r.exitCode, outputTail: r.outputTail })),
        refChanges: s.refChanges.map((r) => ({ repo: r.repo, from: r.refBefore ?? r.headBefore, to: r.refAfter ?? r.headAfter })),
        reviewed: reviewed.has(s.n),
      })),
      repoNames: Object.fromEntries(campaign.repos.map((r) => [r, name(r)])),
    };
    const n = campaign.steps.length;
    const firstOpen = campaign.steps.find((s) => !reviewed.has(s.n))?.n ?? n;
    const shown = step >= 1 && step <= n ? step : firstOpen;
    this.post({ type: 'campaign', state, step: shown });
    await this.showStep(shown);
  }

  private async showStep(step: number): Promise<void> {
    if (!this.campaign) return;
    const n = this.campaign.steps.length;
    if (n === 0) {
      this.step = 0;
      this.records = [];
      this.post({ type: 'step', step: 0, records: [], total: 0 });
      return;
    }
    const s = Math.min(Math.max(1, step), n);
    this.step = s;
    this.focus.set(this.campaign.id, s);
    const client = requireClient();
    const records: StoredChangeRecord[] = [];
    let total = 0;
    for (let offset = 0; offset < maxRecordsShown;) {
      const page = await client.sendRequest(CampaignChangesRequest, { campaign: this.campaign.id, step: s, offset, limit: maxPageSize });
      total = page.total;
      records.push(...page.items);
      offset += page.items.length;
      if (page.items.length === 0 || offset >= page.total) break;
    }
    if (this.step !== s) return; // the user moved on while this step loaded
    this.records = records;
    this.post({
      type: 'step',
      step: s,
      total,
      records: records.map((r) => ({ repo: r.repo, path: r.path, oldPath: r.oldPath, kind: r.kind, added: r.added, removed: r.removed, binary: r.binary })),
    });
  }

  private record(step: number, repo: string, path: string): StoredChangeRecord | undefined {
    return step === this.step ? this.records.find((r) => r.repo === repo && r.path === path) : undefined;
  }

  /** The step's diff of one file: its part of the step's diff text, as `codecontext campaign diff` prints it. */
  private async loadDiff(step: number, repo: string, path: string): Promise<void> {
    const r = this.record(step, repo, path);
    if (!r || !this.campaign) return;
    const diff: DiffView = { repo, path, patch: '', added: r.added, removed: r.removed, binary: r.binary };
    try {
      if (!r.binary && r.oldMode !== '160000' && r.newMode !== '160000') {
        const { diff: text } = await requireClient().sendRequest(CampaignDiffRequest, { campaign: this.campaign.id, step, repo, path });
        if (text.length > maxInlineChars) diff.error = `the diff is ${Math.round(text.length / 1024)} KB, too long to show here: open it in the diff editor`;
        else diff.patch = text;
      }
    } catch (e) {
      diff.error = describeError(e);
    }
    this.post({ type: 'diff', step, diff });
  }

  /** The native diff editor beside the panel (which stays in view): left the file before the step, right after it. */
  private async openDiff(step: number, repo: string, path: string): Promise<void> {
    const r = this.record(step, repo, path);
    if (!r || !this.campaign) return;
    await openFileDiff(stepFileDiff(r, this.campaign.id, step, repoNamer(this.campaign.repos)(repo)), { preview: true, viewColumn: vscode.ViewColumn.Beside });
  }
}
