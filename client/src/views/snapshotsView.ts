import * as path from 'path';
import * as vscode from 'vscode';
import {
  CampaignListRequest,
  DifferingFile,
  RepoDifference,
  RollbackCompareFilesRequest,
  RollbackCompareRequest,
  RollbackListRequest,
  SnapshotDetailRequest,
  SnapshotListRequest,
  SnapshotDifference,
  SnapshotSummary,
} from '../../../server/src/protocol';
import { FileDiff } from '../diff/openFileDiff';
import { requireClient } from '../serverClient';
import { ago, lines, plural, rollbackTitle, shortHash, shortId, snapshotName } from './format';
import { GroupEntry, SnapshotGroup, entriesOf, groupSnapshots, otherNames, safetyOf } from './snapshotGroups';
import { MessageNode, Node, NodeTree, PagedChildren } from './tree';
import { listScope, repoLabel } from '../scope';

/**
 * Snapshots, grouped as the quick pick groups them (`snapshotGroups.ts`): your own (by day), one
 * group per campaign (baseline first), safety snapshots apart; then snapshot → repos → the files
 * that differ from now. Expanding a snapshot asks the cheap compare request (one capture per repo,
 * no plan) for each repo's "N files differ"; expanding a repo asks for those files the same cheap
 * way (one capture, one tree diff), so browsing the tree never fills the server's plan cache nor
 * pushes out the plan a user is about to run.
 */
export class SnapshotsView implements vscode.Disposable {
  readonly tree = new NodeTree(() => this.roots());
  private readonly comparisons = new Map<string, Promise<SnapshotDifference>>();

  constructor(readonly viewId: string) {}

  /** Re-reads the list; differences from now are measured again on the next expand. */
  refresh(): void {
    this.comparisons.clear();
    this.tree.refresh();
  }

  private async roots(): Promise<Node[]> {
    const client = requireClient();
    const [{ snapshots }, { campaigns }, { rollbacks }] = await Promise.all([
      client.sendRequest(SnapshotListRequest, listScope()),
      client.sendRequest(CampaignListRequest, listScope()),
      client.sendRequest(RollbackListRequest, listScope()),
    ]);
    return groupSnapshots(snapshots, campaigns, new Date(), new Map(rollbacks.map((r) => [r.id, rollbackTitle(r, rollbacks)]))).map(
      (g) => new SnapshotGroupNode(this, g),
    );
  }

  /** `work` with the view's progress bar showing. */
  withProgress<T>(work: () => Promise<T>): Promise<T> {
    return Promise.resolve(vscode.window.withProgress({ location: { viewId: this.viewId } }, work));
  }

  /** What a rollback to `snapshot` would change, per repo, measured without a plan. */
  compare(snapshot: string): Promise<SnapshotDifference> {
    let found = this.comparisons.get(snapshot);
    if (!found) {
      found = this.withProgress(async () => (await requireClient().sendRequest(RollbackCompareRequest, { snapshots: [snapshot] })).snapshots[0]);
      this.comparisons.set(snapshot, found);
      found.catch(() => this.comparisons.delete(snapshot));
    }
    return found;
  }

  dispose(): void {
    this.tree.dispose();
  }
}

/** A group of snapshots: yours, a campaign's, or the safety snapshots. */
export class SnapshotGroupNode implements Node {
  readonly kind = 'snapshotGroup';
  readonly campaign: string | undefined;

  constructor(
    private readonly view: SnapshotsView,
    readonly group: SnapshotGroup,
  ) {
    this.campaign = group.campaign?.id;
  }

  item(): vscode.TreeItem {
    const g = this.group;
    const count = entriesOf(g).length;
    // the user's own and campaign groups open; safety snapshots are there when needed, closed
    const item = new vscode.TreeItem(g.title, g.kind === 'safety' ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.Expanded);
    item.id = `snapshots:${g.key}`;
    const c = g.campaign;
    item.description = [
      g.kind === 'campaign' ? (c ? `campaign · ${c.status === 'rolled-back' ? 'rolled back' : 'active'}` : 'campaign (not in the store)') : '',
      plural(count, 'snapshot'),
    ]
      .filter(Boolean)
      .join(' · ');
    item.iconPath = new vscode.ThemeIcon(g.kind === 'safety' ? 'shield' : g.kind === 'campaign' ? 'history' : 'account');
    item.tooltip =
      g.kind === 'safety'
        ? 'Taken by rollbacks just before they changed anything: what "Undo" returns to.'
        : g.kind === 'campaign'
          ? `Campaign ${g.title}${c ? ` (${c.id})` : ''}: its baseline, then its checkpoints.`
          : 'Snapshots you took.';
    item.contextValue = `snapshotGroup.${g.kind}`;
    return item;
  }

  async children(): Promise<Node[]> {
    const g = this.group;
    if (g.days.length === 1 && g.days[0].day === undefined) return g.days[0].entries.map((e) => new SnapshotNode(this.view, e.summary, g.key, e.name, e.role));
    return g.days.map((d, i) => new SnapshotDayNode(this.view, g.key, d.day ?? '', d.entries, i === 0));
  }
}

export class SnapshotDayNode implements Node {
  readonly kind = 'snapshotDay';

  constructor(
    private readonly view: SnapshotsView,
    private readonly groupKey: string,
    readonly day: string,
    private readonly entries: GroupEntry[],
    private readonly first: boolean,
  ) {}

  item(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.day, this.first ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed);
    item.id = `snapshots:${this.groupKey}:day:${this.day}`;
    item.description = plural(this.entries.length, 'snapshot');
    item.iconPath = new vscode.ThemeIcon('calendar');
    item.contextValue = 'snapshotDay';
    return item;
  }

  async children(): Promise<Node[]> {
    // ids of their own below a day: a snapshot that moves under a day (the list spans two days now) is a new row, never a clash with its old one
    return this.entries.map((e) => new SnapshotNode(this.view, e.summary, `${this.groupKey}:${this.day}`, e.name, e.role));
  }
}

export class SnapshotNode implements Node {
  readonly kind = 'snapshot';
  readonly snapshot: string;
  private repos: SnapshotRepoNode[] = [];

  constructor(
    private readonly view: SnapshotsView,
    readonly summary: SnapshotSummary,
    private readonly groupKey = 'all',
    private readonly name = snapshotName(summary),
    private readonly role?: 'baseline' | 'checkpoint',
  ) {
    this.snapshot = summary.id;
  }

  item(): vscode.TreeItem {
    const s = this.summary;
    const item = new vscode.TreeItem(this.name, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = `snapshot:${this.groupKey}:${s.id}`;
    // the newest other words first: "before lunch", said of these same states after they were taken
    const others = otherNames(s, this.name, this.groupKey === 'safety' ? 'safety' : 'yours').reverse();
    const also = others.length ? `also "${others[0]}"${others.length > 1 ? ` +${others.length - 1}` : ''}` : '';
    item.description = [shortId(s.id), plural(s.repoCount, 'repo'), also, s.valid ? '' : '⚠ modified', ago(s.createdAt)].filter(Boolean).join(' · ');
    item.iconPath = !s.valid
      ? new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.errorForeground'))
      : new vscode.ThemeIcon(
          this.role === 'baseline'
            ? 'debug-step-back'
            : safetyOf(s) || this.groupKey.startsWith('safety')
              ? 'shield'
              : this.role === 'checkpoint'
                ? 'git-commit'
                : 'device-camera',
        );
    item.tooltip = [
      `${s.id}${s.message ? ` — ${s.message}` : ''}`,
      ...(s.notes ?? []).map((n) => `also "${n.message}" (${new Date(n.at).toLocaleString()}): the repos had not changed since`),
      `${plural(s.repoCount, 'repo')} · taken ${new Date(s.createdAt).toLocaleString()}`,
      s.campaign ? `Campaign ${s.campaign}` : '',
      s.valid ? '' : 'The manifest no longer matches its id: it was modified after it was written and cannot be rolled back to.',
    ]
      .filter(Boolean)
      .join('\n');
    item.contextValue = s.valid ? 'snapshot' : 'snapshot.invalid';
    return item;
  }

  async children(): Promise<Node[]> {
    const manifest = await requireClient().sendRequest(SnapshotDetailRequest, { id: this.snapshot });
    this.repos = manifest.repos.map((r) => new SnapshotRepoNode(this.view, this.snapshot, r.path, r.head, r.ref, this.groupKey));
    // the differences fill in when the comparison answers; each repo redraws itself
    this.view.compare(this.snapshot).then(
      (d) => {
        const byPath = new Map(d.repos.map((r) => [r.repo, r]));
        for (const repo of this.repos) repo.setDifference(byPath.get(repo.repo) ?? null, d.problem);
      },
      (e: unknown) => {
        for (const repo of this.repos) repo.setError(e);
      },
    );
    return this.repos;
  }
}

export class SnapshotRepoNode implements Node {
  readonly kind = 'snapshotRepo';
  private difference: RepoDifference | null | undefined;
  private error: string | undefined;
  private files: PagedChildren<DifferingFile> | undefined;

  constructor(
    private readonly view: SnapshotsView,
    readonly snapshot: string,
    readonly repo: string,
    private readonly head: string | null,
    private readonly ref: string | null,
    private readonly groupKey = 'all',
  ) {}

  setDifference(d: RepoDifference | null, problem?: string): void {
    this.difference = d;
    this.error = d?.problem ?? problem;
    this.view.tree.refresh(this);
  }

  setError(e: unknown): void {
    this.error = e instanceof Error ? e.message : String(e);
    this.view.tree.refresh(this);
  }

  private differs(): boolean | undefined {
    if (this.error !== undefined) return true;
    if (this.difference === undefined) return undefined;
    return !!this.difference && this.difference.changed;
  }

  item(): vscode.TreeItem {
    const differs = this.differs();
    const d = this.difference;
    const item = new vscode.TreeItem(
      repoLabel(this.repo),
      differs === false ? vscode.TreeItemCollapsibleState.None : vscode.TreeItemCollapsibleState.Collapsed,
    );
    item.id = `snapshot:${this.groupKey}:${this.snapshot}:repo:${this.repo}`;
    const where = this.ref ? this.ref.replace(/^refs\/heads\//, '') : 'detached';
    const state =
      this.error !== undefined
        ? '⚠ cannot compare'
        : d === undefined
          ? 'comparing with now…'
          : differs && d
            ? [
                d.files ? `${plural(d.files, 'file')} differ` : '',
                d.headChanged ? 'HEAD differs' : '',
                d.indexChanged && !d.files ? 'index differs' : '',
                d.drift ? `⚠ ${d.drift} drifted` : '',
              ]
                .filter(Boolean)
                .join(' · ')
            : 'same as now';
    item.description = `${where} ${shortHash(this.head)} · ${state}`;
    item.iconPath = new vscode.ThemeIcon('repo', d?.drift ? new vscode.ThemeColor('list.warningForeground') : undefined);
    item.tooltip = [this.repo, `At the snapshot: ${where} at ${this.head ?? 'no commit yet'}`, this.error ? `Cannot compare with now: ${this.error}` : '']
      .filter(Boolean)
      .join('\n');
    item.contextValue = 'repo';
    return item;
  }

  async children(): Promise<Node[]> {
    let first: { total: number; headChanged: boolean } | undefined;
    this.files ??= new PagedChildren(
      async (offset) => {
        const page = await this.view.withProgress(() =>
          requireClient().sendRequest(RollbackCompareFilesRequest, { snapshot: this.snapshot, repo: this.repo, offset }),
        );
        first ??= page;
        return page;
      },
      (file) => new SnapshotFileNode(this.snapshot, file, this.groupKey),
    );
    const nodes = await this.files.nodes(this.view.tree, this);
    if (nodes.length === 0) {
      // asked again next time: "same as now" may not stay true
      this.files = undefined;
      return [new MessageNode(first?.headChanged ? 'No file differs; HEAD does' : 'Same as now')];
    }
    return nodes;
  }
}

const changeIcons: Record<DifferingFile['change'], [string, string, string]> = {
  restore: ['diff-modified', 'gitDecoration.modifiedResourceForeground', 'changed since'],
  recreate: ['diff-added', 'gitDecoration.deletedResourceForeground', 'gone now'],
  remove: ['diff-removed', 'gitDecoration.untrackedResourceForeground', 'new since'],
  mode: ['symbol-key', 'gitDecoration.modifiedResourceForeground', 'mode changed'],
  gitlink: ['repo', 'gitDecoration.submoduleResourceForeground', 'submodule moved'],
};

/** A file that differs between the snapshot and now; clicking it opens now ↔ the snapshot's version. */
export class SnapshotFileNode implements Node {
  readonly kind = 'snapshotFile';

  constructor(
    readonly snapshot: string,
    readonly file: DifferingFile,
    private readonly groupKey = 'all',
  ) {}

  diff(): FileDiff {
    const f = this.file;
    return {
      repo: f.repo,
      path: f.path,
      left: f.action === 'gitlink' || f.fromMode === '160000' ? { kind: 'blob', blob: f.fromBlob, mode: f.fromMode } : { kind: 'disk' },
      right: { kind: 'blob', blob: f.action === 'delete' ? null : f.blob, mode: f.mode },
      leftLabel: 'now',
      rightLabel: shortId(this.snapshot),
      binary: f.binary,
    };
  }

  item(): vscode.TreeItem {
    const f = this.file;
    const item = new vscode.TreeItem(path.posix.basename(f.path), vscode.TreeItemCollapsibleState.None);
    item.id = `snapshot:${this.groupKey}:${this.snapshot}:file:${f.repo}:${f.path}`;
    const [icon, color, said] = changeIcons[f.change];
    const dir = path.posix.dirname(f.path);
    item.description = [dir === '.' ? '' : dir, f.binary ? 'binary' : lines(f.added, f.removed), said].filter(Boolean).join(' · ');
    item.iconPath = new vscode.ThemeIcon(icon, new vscode.ThemeColor(color));
    item.tooltip = `${f.path}\nA rollback to ${this.snapshot} would ${f.change} it${f.binary ? ' (binary)' : ` (${lines(f.added, f.removed)} lines)`}.`;
    item.command = { command: 'codecontext.openFileDiff', title: 'Open Diff', arguments: [this.diff()] };
    item.contextValue = 'snapshotFile';
    return item;
  }
}
