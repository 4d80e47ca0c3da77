import * as path from 'path';
import * as vscode from 'vscode';
import {
  Campaign,
  CampaignChangesRequest,
  CampaignCommentsRequest,
  CampaignDetailRequest,
  ReviewComment,
  StoredChangeRecord,
  maxPageSize,
} from '../../../server/src/protocol';
import { FileDiff, openFileDiff, stepFileDiff } from '../diff/openFileDiff';
import { ReviewFocus, ReviewTarget } from '../review/focus';
import { requireClient } from '../serverClient';
import { repoNamer } from '../webviews/repoNames';
import { ReviewedSteps, ViewedFiles } from '../webviews/reviewed';
import { changeKindIcons, lines, plural } from './format';
import { MessageNode, Node, NodeTree } from './tree';

/** Files listed per step at most, as in the history panel. */
const maxFiles = 20_000;

/** What the tree shows of one step, read once per step (records never change; comments are re-read). */
interface StepData {
  target: ReviewTarget;
  campaign: Campaign;
  records: StoredChangeRecord[];
  total: number;
  comments: ReviewComment[];
  name: (repo: string) => string;
}

/**
 * The "Review" tree, beside the diff editor as the GitHub Pull Requests extension has it: the files
 * the step under review changed, grouped by repo, each with a Viewed checkbox; the view's title
 * names the step and its description counts "7 of 11 viewed". Viewed marks live in the workspace
 * state (they survive a reload). A file opens its diff without taking the focus, beside a visible
 * history panel, so the tree (and the panel) stay where they were; its review comments are listed
 * below it.
 */
export class ReviewView implements vscode.Disposable {
  readonly tree = new NodeTree(() => this.roots());
  private view?: vscode.TreeView<Node>;
  private data?: StepData;
  private loading?: Promise<StepData | undefined>;
  private readonly scope: vscode.Disposable[] = [];

  constructor(
    readonly focus: ReviewFocus,
    readonly viewed: ViewedFiles,
    readonly reviewed: ReviewedSteps,
  ) {
    this.scope.push(
      focus.onDidChange(() => (this.setKeys(), this.reload())),
      // the count in the view's title bar is right even while the tree is collapsed or hidden
      viewed.onDidChange(() => this.redraw()),
      reviewed.onDidChange(() => (this.setKeys(), this.redraw())),
    );
    this.setKeys();
  }

  /**
   * The context keys the palette and the toolbar read, from the step under review alone (not from
   * what the tree loaded): a step reviewed from the history panel, with this view closed, still
   * offers the palette's "Mark Step Reviewed" or "Mark Step Not Reviewed", whichever applies.
   */
  private setKeys(): void {
    const t = this.focus.current;
    void vscode.commands.executeCommand('setContext', 'codecontext.reviewing', !!t);
    void vscode.commands.executeCommand('setContext', 'codecontext.reviewStepReviewed', !!t && this.reviewed.get(t.campaign).has(t.step));
  }

  attach(view: vscode.TreeView<Node>): void {
    this.view = view;
    this.scope.push(view.onDidChangeCheckboxState((e) => void this.onCheckboxes(e.items)));
    this.describe();
  }

  /** Reads the step again (a new comment, a store change); the viewed marks are local and always current. */
  reload(): void {
    this.data = undefined;
    this.loading = undefined;
    this.tree.refresh();
  }

  private redraw(): void {
    this.describe();
    this.tree.refresh();
  }

  get current(): StepData | undefined {
    return this.data;
  }

  private async load(): Promise<StepData | undefined> {
    const target = this.focus.current;
    if (!target) return undefined;
    if (this.data && this.data.target === target) return this.data;
    this.loading ??= (async () => {
      const client = requireClient();
      const campaign = await client.sendRequest(CampaignDetailRequest, { id: target.campaign });
      const records: StoredChangeRecord[] = [];
      let total = 0;
      for (let offset = 0; offset < maxFiles;) {
        const page = await client.sendRequest(CampaignChangesRequest, { campaign: campaign.id, step: target.step, offset, limit: maxPageSize });
        total = page.total;
        records.push(...page.items);
        offset += page.items.length;
        if (page.items.length === 0 || offset >= page.total) break;
      }
      const { comments } = await client.sendRequest(CampaignCommentsRequest, { campaign: campaign.id, step: target.step });
      const data: StepData = { target, campaign, records, total, comments, name: repoNamer(campaign.repos) };
      if (this.focus.current === target) this.data = data;
      return data;
    })();
    return this.loading;
  }

  private async roots(): Promise<Node[]> {
    const data = await this.load();
    this.describe();
    if (!data) return [];
    const byRepo = new Map<string, StoredChangeRecord[]>();
    for (const r of data.records) (byRepo.get(r.repo) ?? byRepo.set(r.repo, []).get(r.repo)!).push(r);
    const nodes: Node[] = [...byRepo].map(([repo, records]) => new ReviewRepoNode(this, data, repo, records));
    if (nodes.length === 0) nodes.push(new MessageNode('This step changed no file', 'info'));
    if (data.total > data.records.length)
      nodes.push(new MessageNode(`Only the first ${data.records.length} of ${plural(data.total, 'file')} are listed`, 'info'));
    return nodes;
  }

  /** The view's title, progress count and failure note, from what is loaded. */
  private describe(): void {
    if (!this.view) return;
    const data = this.data;
    if (!data) {
      this.view.description = undefined;
      this.view.message = undefined;
      return;
    }
    const { campaign, target } = data;
    const step = campaign.steps[target.step - 1];
    const viewed = this.viewed.get(campaign.id, target.step);
    const done = data.records.filter((r) => viewed.has(ViewedFiles.keyOf(r.repo, r.path))).length;
    const reviewed = this.reviewed.get(campaign.id).has(target.step);
    // the title bar is narrow beside the view's buttons: the count is in the message line too
    this.view.description = `${done} of ${data.records.length} viewed${reviewed ? ' · step reviewed' : ''}`;
    const failed = (step?.results ?? []).filter((r) => r.exitCode !== 0);
    const what = step?.message ?? (step?.command ? step.command.join(' ') : 'checkpoint');
    this.view.message = [
      `Step ${target.step} of ${campaign.steps.length} of ${campaign.name}: ${what}`,
      `${done} of ${plural(data.records.length, 'file')} viewed${reviewed ? ' · step reviewed ✓' : ''}`,
      ...(failed.length ? [`⚠ failed in ${failed.map((f) => `${data.name(f.repo)} (exit ${f.exitCode})`).join(', ')}`] : []),
    ].join(' · ');
  }

  /** Ticked or unticked in the tree: a file is (un)viewed; a repo (un)views all its files. */
  private async onCheckboxes(items: readonly (readonly [Node, vscode.TreeItemCheckboxState])[]): Promise<void> {
    for (const [node, state] of items) {
      if (node instanceof ReviewFileNode || node instanceof ReviewRepoNode) await this.setViewed(node, state === vscode.TreeItemCheckboxState.Checked);
    }
  }

  async setViewed(node: ReviewFileNode | ReviewRepoNode, viewed: boolean): Promise<void> {
    const files = node instanceof ReviewFileNode ? [node.record] : node.records;
    await this.viewed.set(node.data.campaign.id, node.data.target.step, files, viewed);
  }

  /** A file is viewed when marked; a repo when every one of its files is (its checkbox is ticked). */
  isViewed(node: ReviewFileNode | ReviewRepoNode): boolean {
    const marks = this.viewed.get(node.data.campaign.id, node.data.target.step);
    const files = node instanceof ReviewFileNode ? [node.record] : node.records;
    return files.every((r) => marks.has(ViewedFiles.keyOf(r.repo, r.path)));
  }

  /**
   * The first file not yet viewed after `from` (a row of this tree, or nothing: from the top), in the
   * tree's order and wrapping round; undefined when every file is viewed. The nodes come from the
   * tree itself, so `reveal` finds their parents.
   */
  async nextUnviewed(from: unknown): Promise<ReviewFileNode | undefined> {
    const files: ReviewFileNode[] = [];
    for (const repo of await this.tree.getChildren()) {
      if (repo instanceof ReviewRepoNode) files.push(...(await this.tree.getChildren(repo)).filter((n): n is ReviewFileNode => n instanceof ReviewFileNode));
    }
    const at = (n: ReviewFileNode) => `${n.record.repo}\n${n.record.path}`;
    const anchor = from instanceof ReviewCommentNode ? from.file : from;
    let start = 0;
    if (anchor instanceof ReviewFileNode) start = files.findIndex((f) => at(f) === at(anchor)) + 1;
    else if (anchor instanceof ReviewRepoNode)
      start = Math.max(
        0,
        files.findIndex((f) => f.record.repo === anchor.repo),
      );
    for (let i = 0; i < files.length; i++) {
      const f = files[(start + i) % files.length];
      if (!f.viewed) return f;
    }
    return undefined;
  }

  /** Moves the review to another step of the same campaign (the history panel follows). */
  async step(delta: number): Promise<void> {
    // loaded here when the view is closed: the palette offers the step commands while a step is under review
    const data = this.data ?? (await this.load());
    if (!data) return;
    const to = data.target.step + delta;
    if (to >= 1 && to <= data.campaign.steps.length) this.focus.set(data.campaign.id, to);
  }

  dispose(): void {
    for (const d of this.scope.splice(0)) d.dispose();
    this.tree.dispose();
  }
}

export class ReviewRepoNode implements Node {
  readonly kind = 'reviewRepo';
  readonly campaign: string;

  constructor(
    private readonly view: ReviewView,
    readonly data: StepData,
    readonly repo: string,
    readonly records: StoredChangeRecord[],
  ) {
    this.campaign = data.campaign.id;
  }

  item(): vscode.TreeItem {
    const viewed = this.view.viewed.get(this.campaign, this.data.target.step);
    const done = this.records.filter((r) => viewed.has(ViewedFiles.keyOf(r.repo, r.path))).length;
    const item = new vscode.TreeItem(this.data.name(this.repo), vscode.TreeItemCollapsibleState.Expanded);
    item.id = `review:${this.campaign}:${this.data.target.step}:${this.repo}`;
    const failed = this.data.campaign.steps[this.data.target.step - 1]?.results?.find((r) => r.repo === this.repo && r.exitCode !== 0);
    item.description = [`${done} of ${plural(this.records.length, 'file')} viewed`, failed ? `⚠ exit ${failed.exitCode}` : ''].filter(Boolean).join(' · ');
    item.iconPath = new vscode.ThemeIcon('repo', failed ? new vscode.ThemeColor('list.errorForeground') : undefined);
    const exited = failed ? `\nThe step's command exited ${failed.exitCode} here` : '';
    item.tooltip = `${this.repo}\n${done} of ${plural(this.records.length, 'file')} viewed${exited}`;
    item.checkboxState = {
      state: done === this.records.length ? vscode.TreeItemCheckboxState.Checked : vscode.TreeItemCheckboxState.Unchecked,
      tooltip: 'Viewed: every file of this repo',
    };
    item.contextValue = 'reviewRepo';
    return item;
  }

  async children(): Promise<Node[]> {
    const comments = this.data.comments.filter((c) => c.repo === this.repo);
    return this.records.map(
      (r) =>
        new ReviewFileNode(
          this.view,
          this.data,
          r,
          comments.filter((c) => c.path === r.path),
        ),
    );
  }
}

/** One changed file: a Viewed checkbox; clicking it opens the step's diff; its comments below it. */
export class ReviewFileNode implements Node {
  readonly kind = 'reviewFile';
  readonly campaign: string;

  constructor(
    private readonly view: ReviewView,
    readonly data: StepData,
    readonly record: StoredChangeRecord,
    readonly comments: ReviewComment[],
  ) {
    this.campaign = data.campaign.id;
  }

  get viewed(): boolean {
    return this.view.viewed.get(this.campaign, this.data.target.step).has(ViewedFiles.keyOf(this.record.repo, this.record.path));
  }

  diff(): FileDiff {
    return stepFileDiff(this.record, this.campaign, this.data.target.step, this.data.name(this.record.repo));
  }

  item(): vscode.TreeItem {
    const r = this.record;
    const item = new vscode.TreeItem(
      path.posix.basename(r.path),
      this.comments.length ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None,
    );
    item.id = `review:${this.campaign}:${this.data.target.step}:${r.repo}:${r.path}`;
    const dir = path.posix.dirname(r.path);
    item.description = [
      dir === '.' ? '' : dir,
      r.binary ? 'binary' : lines(r.added, r.removed),
      r.kind === 'modified' ? '' : r.kind,
      this.comments.length ? plural(this.comments.length, 'comment') : '',
    ]
      .filter(Boolean)
      .join(' · ');
    const [icon, color] = changeKindIcons[r.kind];
    item.iconPath = new vscode.ThemeIcon(icon, new vscode.ThemeColor(color));
    const from = r.oldPath ? ` from ${r.oldPath}` : '';
    item.tooltip =
      `${this.data.name(r.repo)}/${r.path} — ${r.kind}${from} in step ${this.data.target.step}${this.viewed ? '\nViewed' : ''}` +
      '\nSpace: Viewed · Enter: open the diff · Alt+N: next unviewed file';
    item.checkboxState = { state: this.viewed ? vscode.TreeItemCheckboxState.Checked : vscode.TreeItemCheckboxState.Unchecked, tooltip: 'Viewed' };
    item.accessibilityInformation = { label: `${this.data.name(r.repo)}/${r.path}, ${r.kind}, ${this.viewed ? 'viewed' : 'not viewed'}` };
    item.command = { command: 'codecontext.review.openDiff', title: 'Open Diff', arguments: [this] };
    item.contextValue = this.viewed ? 'reviewFile.viewed' : 'reviewFile';
    return item;
  }

  async children(): Promise<Node[]> {
    return this.comments.map((c) => new ReviewCommentNode(this, c));
  }

  /** The diff editor, without taking the focus from the tree and beside a visible history panel. */
  open(line?: number): Promise<unknown> {
    const selection = line ? new vscode.Range(line - 1, 0, line - 1, 0) : undefined;
    return openFileDiff(this.diff(), { preview: true, preserveFocus: line === undefined, viewColumn: this.view.focus.diffColumn(), selection });
  }
}

export class ReviewCommentNode implements Node {
  readonly kind = 'reviewComment';

  constructor(
    readonly file: ReviewFileNode,
    readonly comment: ReviewComment,
  ) {}

  item(): vscode.TreeItem {
    const c = this.comment;
    const item = new vscode.TreeItem(c.body.split('\n')[0], vscode.TreeItemCollapsibleState.None);
    item.id = `review-comment:${c.id}`;
    item.description = `${c.author} · ${c.line ? `line ${c.line}` : 'file'}`;
    item.iconPath = new vscode.ThemeIcon('comment');
    const tip = new vscode.MarkdownString();
    tip.appendText(c.body);
    tip.appendMarkdown(`\n\n— ${c.author}, ${new Date(c.at).toLocaleString()}`);
    item.tooltip = tip;
    item.command = { command: 'codecontext.review.openDiff', title: 'Open Diff', arguments: [this.file, c.line] };
    item.contextValue = 'reviewComment';
    return item;
  }
}
