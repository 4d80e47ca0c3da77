import { createTwoFilesPatch } from 'diff';
import * as vscode from 'vscode';
import { BlobRequest, Campaign, CampaignChangesRequest, CampaignDetailRequest, StoredChangeRecord, maxPageSize } from '../../../server/src/protocol';
import { openFileDiff } from '../diff/openFileDiff';
import { describeError } from '../output';
import { onDidChangeStore, requireClient } from '../serverClient';
import { webviewHtml, webviewOptions } from './html';
import type { DiffView, HistoryFromWebview, HistoryState, HistoryToWebview } from './messages';
import { PanelHost } from './panelHost';
import { repoNamer } from './repoNames';
import { ReviewedSteps } from './reviewed';
import { whenServerRunning } from './serverWork';

/** Records sent per step at most (a step touching more files says how many it leaves out). */
const maxRecordsShown = 20_000;
/** Blobs bigger than this are not diffed inline (the diff editor still opens them). */
const maxInlineBytes = 1024 * 1024;

/**
 * The "Campaign history" panel, for reviewers: the steps on a timeline, one step at a time with its
 * change records across repos, per-file diffs inline or in the diff editor, and a "reviewed" mark per
 * step kept in the workspace state. Follows the store: a new checkpoint appears without a reload.
 */
export class HistoryPanel extends PanelHost<HistoryToWebview, HistoryFromWebview> {
  static readonly viewType = 'codecontext.campaignHistory';

  private campaign?: Campaign;
  private step = 0;
  private records: StoredChangeRecord[] = [];

  static create(extensionUri: vscode.Uri, campaignId: string, reviewed: ReviewedSteps): HistoryPanel {
    const title = `Campaign History: ${campaignId}`;
    const panel = vscode.window.createWebviewPanel(HistoryPanel.viewType, title, vscode.ViewColumn.Active, webviewOptions(extensionUri));
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'codecontext.svg');
    panel.webview.html = webviewHtml(panel.webview, extensionUri, 'history', title);
    return new HistoryPanel(panel, campaignId, reviewed);
  }

  private constructor(
    panel: vscode.WebviewPanel,
    readonly campaignId: string,
    private readonly reviewed: ReviewedSteps,
  ) {
    super(panel);
    this.scope.push(
      onDidChangeStore((e) => {
        if (this.campaign && e.kinds.includes('campaigns')) void this.load(this.step).catch((err) => this.onHandlerError(err));
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
        await this.reviewed.set(this.campaign?.id ?? this.campaignId, m.step, m.reviewed);
        this.post({ type: 'reviewed', step: m.step, reviewed: m.reviewed });
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

  /** (Re)reads the campaign; stays on `step` if it still exists, else shows the newest step. */
  private async load(step: number): Promise<void> {
    await whenServerRunning();
    const campaign = await requireClient().sendRequest(CampaignDetailRequest, { id: this.campaign?.id ?? this.campaignId });
    this.campaign = campaign;
    this.panel.title = `Campaign History: ${campaign.name}`;
    const name = repoNamer(campaign.repos);
    const reviewed = this.reviewed.get(campaign.id);
    const state: HistoryState = {
      campaign: { id: campaign.id, name: campaign.name, status: campaign.status, createdAt: campaign.createdAt, repoCount: campaign.repos.length, baseline: campaign.baseline },
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
    const shown = step >= 1 && step <= n ? step : n;
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
    const client = requireClient();
    const records: StoredChangeRecord[] = [];
    let total = 0;
    for (let offset = 0; offset < maxRecordsShown; ) {
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

  /** The step's diff of one file, made here from the two blobs (the server keeps no such patch). */
  private async loadDiff(step: number, repo: string, path: string): Promise<void> {
    const r = this.record(step, repo, path);
    if (!r) return;
    const diff: DiffView = { repo, path, patch: '', added: r.added, removed: r.removed, binary: r.binary };
    try {
      if (!r.binary && r.oldMode !== '160000' && r.newMode !== '160000') {
        const [before, after] = await Promise.all([blobText(repo, r.oldBlob), blobText(repo, r.newBlob)]);
        if (before === undefined || after === undefined) diff.binary = true;
        else diff.patch = createTwoFilesPatch(`a/${r.oldPath ?? r.path}`, `b/${r.path}`, before, after, '', '', { context: 3 });
      }
    } catch (e) {
      diff.error = describeError(e);
    }
    this.post({ type: 'diff', step, diff });
  }

  /** The native diff editor: left the file before the step, right after it. */
  private async openDiff(step: number, repo: string, path: string): Promise<void> {
    const r = this.record(step, repo, path);
    if (!r) return;
    await openFileDiff({
      repo,
      path: r.path,
      oldPath: r.oldPath,
      left: { kind: 'blob', blob: r.oldBlob, mode: r.oldMode },
      right: { kind: 'blob', blob: r.newBlob, mode: r.newMode },
      leftLabel: step === 1 ? 'baseline' : `step ${step - 1}`,
      rightLabel: `step ${step}`,
      binary: r.binary,
    });
  }
}

/** A blob as text; '' for an absent side; undefined when it is binary or too big to diff inline. */
async function blobText(repo: string, blob: string | null): Promise<string | undefined> {
  if (!blob) return '';
  const b = await requireClient().sendRequest(BlobRequest, { repo, blob });
  if (b.binary || b.size > maxInlineBytes) return undefined;
  return Buffer.from(b.base64, 'base64').toString('utf8');
}
