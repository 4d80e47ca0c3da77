import * as path from 'path';
import * as vscode from 'vscode';
import {
  CampaignChangesRequest,
  CampaignDetailRequest,
  CampaignListRequest,
  CampaignStep,
  CampaignSummary,
  LabelledDrift,
  RollbackDriftRequest,
  StoredChangeRecord,
} from '../../../server/src/protocol';
import { runningIn } from '../activity';
import { FileDiff, stepFileDiff } from '../diff/openFileDiff';
import { requireClient } from '../serverClient';
import { ago, changeKindIcons, lines, plural, repoName, shortId } from './format';
import { MessageNode, Node, NodeTree, PagedChildren } from './tree';
import { listScope, repoLabel } from '../scope';

/**
 * Campaigns: campaign → steps → repos → files. Each level is requested when it is expanded (a step's
 * repos from one page of change records, a repo's files page by page), so a campaign of 500 repos
 * opens at once. Expanding a campaign also plans a rollback to its baseline in the background (it
 * changes nothing) to mark drift: files someone else changed since the last checkpoint.
 */
export class CampaignsView implements vscode.Disposable {
  readonly tree = new NodeTree(() => this.roots());
  private readonly drift = new Map<string, Promise<Map<string, LabelledDrift[]> | undefined>>();
  private nodes = new Map<string, CampaignNode>();

  constructor(readonly viewId: string) {}

  /**
   * Re-reads every campaign. A drift mark is never shown from before: it is dropped, and measured
   * again at once for the campaigns that had one and are still active (a rolled-back campaign has
   * no drift), so after a rollback the tree says what is true now.
   */
  refresh(): void {
    this.drift.clear();
    for (const id of this.settled.keys()) this.remeasure.add(id);
    this.settled.clear();
    this.tree.refresh();
  }
  private readonly remeasure = new Set<string>();

  private async roots(): Promise<Node[]> {
    const { campaigns, invalid } = await requireClient().sendRequest(CampaignListRequest, listScope());
    this.nodes = new Map(campaigns.map((c) => [c.id, new CampaignNode(this, c)]));
    for (const c of campaigns) if (this.remeasure.delete(c.id) && c.status === 'active') void this.driftOf(c);
    // a campaign file that cannot be read is shown as such, never hidden
    const unreadable = (invalid ?? []).map((i) => new MessageNode(`${i.id} (unreadable)`, 'warning', 'invalid', `${i.reason}\n${i.file}`));
    return [...this.nodes.values(), ...unreadable];
  }

  /** Redraws one campaign (its running mark changed), or all of them. */
  redraw(campaign?: string): void {
    const node = campaign ? this.nodes.get(campaign) : undefined;
    if (campaign && !node) return;
    this.tree.refresh(node);
  }

  /** Per repo, the drifted paths of an active campaign; undefined until measured or when it cannot be. */
  driftOf(campaign: CampaignSummary): Promise<Map<string, LabelledDrift[]> | undefined> {
    let found = this.drift.get(campaign.id);
    if (!found) {
      found = this.measureDrift(campaign);
      this.drift.set(campaign.id, found);
    }
    return found;
  }

  knownDrift(campaign: string): Map<string, LabelledDrift[]> | undefined {
    return this.settled.get(campaign);
  }
  private readonly settled = new Map<string, Map<string, LabelledDrift[]>>();

  private async measureDrift(campaign: CampaignSummary): Promise<Map<string, LabelledDrift[]> | undefined> {
    if (campaign.status !== 'active' || campaign.stepCount === 0) return undefined;
    try {
      // the cheap request: no plan is made or kept for a status mark
      const { repos } = await vscode.window.withProgress({ location: { viewId: this.viewId } }, () =>
        requireClient().sendRequest(RollbackDriftRequest, { campaign: campaign.id }),
      );
      const byRepo = new Map(repos.filter((r) => r.drift.length).map((r) => [r.repo, r.drift]));
      const before = this.settled.get(campaign.id);
      this.settled.set(campaign.id, byRepo);
      // redrawn only when the mark changes: a redraw while the tree is being expanded re-registers its children
      if ((before?.size ?? 0) !== byRepo.size) this.redraw(campaign.id);
      return byRepo;
    } catch {
      return undefined; // drift is a hint: a repo that cannot be read shows up when a rollback is previewed
    }
  }

  dispose(): void {
    this.tree.dispose();
  }
}

function driftCount(drift: Map<string, LabelledDrift[]> | undefined): number {
  let n = 0;
  for (const edits of drift?.values() ?? []) n += edits.length;
  return n;
}

export class CampaignNode implements Node {
  readonly kind = 'campaign';
  readonly campaign: string;

  constructor(
    private readonly view: CampaignsView,
    readonly summary: CampaignSummary,
  ) {
    this.campaign = summary.id;
  }

  item(): vscode.TreeItem {
    const c = this.summary;
    const item = new vscode.TreeItem(c.name, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = `campaign:${c.id}`;
    const running = runningIn(c.id);
    const status = running ? `running ${running}` : c.status === 'rolled-back' ? 'rolled back' : 'active';
    const drift = driftCount(this.view.knownDrift(c.id));
    item.description = [
      status,
      plural(c.stepCount, 'step'),
      plural(c.repoCount, 'repo'),
      drift ? `⚠ ${plural(drift, 'drifted file')}` : '',
      ago(c.lastStepAt ?? c.createdAt),
    ]
      .filter(Boolean)
      .join(' · ');
    item.iconPath = running
      ? new vscode.ThemeIcon('sync~spin')
      : c.status === 'rolled-back'
        ? new vscode.ThemeIcon('discard', new vscode.ThemeColor('disabledForeground'))
        : drift
          ? new vscode.ThemeIcon('history', new vscode.ThemeColor('list.warningForeground'))
          : new vscode.ThemeIcon('history');
    const tip = new vscode.MarkdownString(undefined, true);
    tip.appendMarkdown(`**${escape(c.name)}** \`${c.id}\`\n\n`);
    tip.appendMarkdown(`${status} · ${plural(c.stepCount, 'step')} · ${plural(c.repoCount, 'repo')}\n\n`);
    tip.appendMarkdown(`Started ${new Date(c.createdAt).toLocaleString()} · baseline \`${c.baseline}\`\n\n`);
    if (drift) tip.appendMarkdown(`$(warning) ${plural(drift, 'file')} changed by something other than the campaign since its last checkpoint.\n\n`);
    tip.appendMarkdown(`Roots: ${c.roots.map((r) => `\`${escape(r)}\``).join(', ')}`);
    item.tooltip = tip;
    item.contextValue = c.status === 'rolled-back' ? 'campaign.rolledBack' : 'campaign.active';
    return item;
  }

  async children(): Promise<Node[]> {
    const detail = await requireClient().sendRequest(CampaignDetailRequest, { id: this.summary.id });
    void this.view.driftOf(this.summary);
    if (!detail.steps.length) return [new MessageNode('No steps yet', 'info', 'run a command or take a checkpoint')];
    return detail.steps.map((s) => new StepNode(this.view, this.summary, s));
  }
}

export class StepNode implements Node {
  readonly kind = 'step';
  readonly campaign: string;
  readonly step: number;

  constructor(
    private readonly view: CampaignsView,
    readonly summary: CampaignSummary,
    readonly data: CampaignStep,
  ) {
    this.campaign = summary.id;
    this.step = data.n;
  }

  item(): vscode.TreeItem {
    const s = this.data;
    const what = s.message ?? (s.command ? s.command.join(' ') : 'checkpoint');
    const files = s.counts.added + s.counts.modified + s.counts.deleted + s.counts.renamed + s.counts.mode;
    const item = new vscode.TreeItem(`Step ${s.n}: ${what}`, files ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    item.id = `campaign:${this.campaign}:step:${s.n}`;
    const failed = s.results?.filter((r) => r.exitCode !== 0) ?? [];
    item.description = [
      lines(s.counts.linesAdded, s.counts.linesRemoved),
      plural(files, 'file'),
      plural(s.reposChanged, 'repo'),
      failed.length ? `${failed.length} failed` : '',
      ago(s.at),
    ]
      .filter(Boolean)
      .join(' · ');
    item.iconPath = failed.length
      ? new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'))
      : new vscode.ThemeIcon(s.command ? 'terminal' : 'git-commit');
    const tip = new vscode.MarkdownString(undefined, true);
    tip.appendMarkdown(`**Step ${s.n}** of ${escape(this.summary.name)} · ${new Date(s.at).toLocaleString()}\n\n`);
    if (s.command) tip.appendMarkdown(`Command: \`${escape(s.command.join(' '))}\`\n\n`);
    const c = s.counts;
    tip.appendMarkdown(
      `${c.added} added · ${c.modified} modified · ${c.deleted} deleted · ${c.renamed} renamed · ${c.mode} mode · ` +
        `${lines(c.linesAdded, c.linesRemoved)} lines\n\n`,
    );
    for (const f of failed) tip.appendMarkdown(`$(error) ${escape(repoName(f.repo))} exited ${f.exitCode}\n\n`);
    tip.appendMarkdown(`Checkpoint \`${s.snapshot}\``);
    item.tooltip = tip;
    item.contextValue = 'step';
    return item;
  }

  async children(): Promise<Node[]> {
    const page = await requireClient().sendRequest(CampaignChangesRequest, { campaign: this.campaign, step: this.step, limit: 1 });
    return page.repos.map((r) => new StepRepoNode(this.view, this, r.repo, r.count));
  }
}

export class StepRepoNode implements Node {
  readonly kind = 'stepRepo';
  readonly repo: string;
  private readonly files: PagedChildren<StoredChangeRecord>;

  constructor(
    private readonly view: CampaignsView,
    private readonly parent: StepNode,
    repo: string,
    private readonly count: number,
  ) {
    this.repo = repo;
    const { campaign, step } = parent;
    this.files = new PagedChildren(
      (offset) => requireClient().sendRequest(CampaignChangesRequest, { campaign, step, repo, offset }),
      (record) =>
        new ChangeFileNode(
          record,
          step,
          this.drifted().some((d) => d.kind === 'file' && d.path === record.path),
          campaign,
        ),
    );
  }

  private drifted(): LabelledDrift[] {
    return this.view.knownDrift(this.parent.campaign)?.get(this.repo) ?? [];
  }

  item(): vscode.TreeItem {
    const item = new vscode.TreeItem(repoLabel(this.repo), vscode.TreeItemCollapsibleState.Collapsed);
    item.id = `campaign:${this.parent.campaign}:step:${this.parent.step}:repo:${this.repo}`;
    const drift = this.drifted();
    item.description = [plural(this.count, 'file'), drift.length ? `⚠ ${drift.length} drifted` : ''].filter(Boolean).join(' · ');
    item.iconPath = new vscode.ThemeIcon('repo', drift.length ? new vscode.ThemeColor('list.warningForeground') : undefined);
    item.tooltip =
      `${this.repo}\n${plural(this.count, 'file')} changed in step ` +
      `${this.parent.step}${drift.length ? `\nDrifted since the last checkpoint: ${drift.map((d) => d.label).join(', ')}` : ''}`;
    item.contextValue = 'repo';
    return item;
  }

  children(): Promise<Node[]> {
    return this.files.nodes(this.view.tree, this);
  }
}

/** One change record; clicking it opens before ↔ after of its step. */
export class ChangeFileNode implements Node {
  readonly kind = 'changeFile';

  constructor(
    readonly record: StoredChangeRecord,
    readonly step: number,
    private readonly drifted: boolean,
    readonly campaign: string,
  ) {}

  diff(): FileDiff {
    return stepFileDiff(this.record, this.campaign, this.step);
  }

  item(): vscode.TreeItem {
    const r = this.record;
    const item = new vscode.TreeItem(path.posix.basename(r.path), vscode.TreeItemCollapsibleState.None);
    item.id = `change:${r.repo}:${r.step}:${r.path}`;
    const dir = path.posix.dirname(r.path);
    const counts = r.binary ? 'binary' : lines(r.added, r.removed);
    item.description = [dir === '.' ? '' : dir, counts, r.kind === 'modified' ? '' : r.kind, this.drifted ? '⚠ drifted' : ''].filter(Boolean).join(' · ');
    const [icon, color] = changeKindIcons[r.kind];
    item.iconPath = this.drifted
      ? new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'))
      : new vscode.ThemeIcon(icon, new vscode.ThemeColor(color));
    item.tooltip = [
      `${r.path} — ${r.kind}${r.oldPath ? ` from ${r.oldPath}` : ''} in step ${r.step}`,
      r.binary ? 'binary' : `${lines(r.added, r.removed)} lines`,
      r.oldMode !== r.newMode && r.oldMode && r.newMode ? `mode ${r.oldMode} → ${r.newMode}` : '',
      this.drifted ? 'Changed by something other than the campaign since the last checkpoint.' : '',
      `blob ${r.oldBlob ? shortId(r.oldBlob) : 'none'} → ${r.newBlob ? shortId(r.newBlob) : 'none'}`,
    ]
      .filter(Boolean)
      .join('\n');
    item.command = { command: 'codecontext.openFileDiff', title: 'Open Diff', arguments: [this.diff()] };
    item.contextValue = 'changeFile';
    return item;
  }
}

export function escape(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&');
}
