import * as path from 'path';
import * as vscode from 'vscode';
import {
  PlannedFileSummary,
  RepoPlanSummary,
  RollbackPlanFilesRequest,
  RollbackPreview,
  RollbackPreviewRequest,
  SnapshotDetailRequest,
  SnapshotListRequest,
  SnapshotSummary,
} from '../../../server/src/protocol';
import { FileDiff } from '../diff/openFileDiff';
import { sendWithProgress } from '../request';
import { requireClient } from '../serverClient';
import { ago, lines, plural, repoName, shortHash, shortId } from './format';
import { MessageNode, Node, NodeTree, PagedChildren } from './tree';

/**
 * Snapshots: snapshot → repos → the files that differ from now. What differs is what a rollback to
 * the snapshot would change, so expanding a snapshot previews one (restore mode; it changes nothing)
 * in the background: the repos show at once, their "N files differ" when the preview answers.
 */
export class SnapshotsView implements vscode.Disposable {
  readonly tree = new NodeTree(() => this.roots());
  private readonly previews = new Map<string, Promise<RollbackPreview>>();

  constructor(readonly viewId: string) {}

  /** Re-reads the list; differences from now are measured again on the next expand. */
  refresh(): void {
    this.previews.clear();
    this.tree.refresh();
  }

  private async roots(): Promise<Node[]> {
    const { snapshots } = await requireClient().sendRequest(SnapshotListRequest, {});
    return snapshots.map((s) => new SnapshotNode(this, s));
  }

  /** The restore plan to `snapshot` from now, shared by its repo nodes; forget() drops it. */
  preview(snapshot: string): Promise<RollbackPreview> {
    let found = this.previews.get(snapshot);
    if (!found) {
      found = Promise.resolve(vscode.window.withProgress({ location: { viewId: this.viewId } }, () => sendWithProgress(RollbackPreviewRequest, { snapshot, mode: 'restore' })));
      this.previews.set(snapshot, found);
      found.catch(() => this.previews.delete(snapshot));
    }
    return found;
  }

  dispose(): void {
    this.tree.dispose();
  }
}

export class SnapshotNode implements Node {
  readonly kind = 'snapshot';
  readonly snapshot: string;
  private repos: SnapshotRepoNode[] = [];

  constructor(
    private readonly view: SnapshotsView,
    readonly summary: SnapshotSummary,
  ) {
    this.snapshot = summary.id;
  }

  item(): vscode.TreeItem {
    const s = this.summary;
    const item = new vscode.TreeItem(s.message || s.id, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = `snapshot:${s.id}`;
    item.description = [s.message ? shortId(s.id) : '', plural(s.repoCount, 'repo'), s.campaign ? shortId(s.campaign) : '', s.valid ? '' : '⚠ modified', ago(s.createdAt)].filter(Boolean).join(' · ');
    item.iconPath = s.valid ? new vscode.ThemeIcon('device-camera') : new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.errorForeground'));
    item.tooltip = [
      `${s.id}${s.message ? ` — ${s.message}` : ''}`,
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
    this.repos = manifest.repos.map((r) => new SnapshotRepoNode(this.view, this.snapshot, r.path, r.head, r.ref));
    // the differences fill in when the preview answers; each repo redraws itself
    this.view.preview(this.snapshot).then(
      (preview) => {
        const byPath = new Map(preview.repos.map((r) => [r.path, r]));
        for (const repo of this.repos) repo.setPlan(byPath.get(repo.repo) ?? null, preview.hash);
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
  private plan: RepoPlanSummary | null | undefined;
  private planHash = '';
  private error: string | undefined;
  private files: PagedChildren<PlannedFileSummary> | undefined;

  constructor(
    private readonly view: SnapshotsView,
    readonly snapshot: string,
    readonly repo: string,
    private readonly head: string | null,
    private readonly ref: string | null,
  ) {}

  setPlan(plan: RepoPlanSummary | null, hash: string): void {
    this.plan = plan;
    this.planHash = hash;
    this.files = undefined;
    this.view.tree.refresh(this);
  }

  setError(e: unknown): void {
    this.error = e instanceof Error ? e.message : String(e);
    this.view.tree.refresh(this);
  }

  private differs(): boolean | undefined {
    if (this.plan === undefined) return this.error ? true : undefined;
    return !!this.plan && (this.plan.fileCount > 0 || this.plan.headChanged || this.plan.indexChanged);
  }

  item(): vscode.TreeItem {
    const differs = this.differs();
    const item = new vscode.TreeItem(repoName(this.repo), differs === false ? vscode.TreeItemCollapsibleState.None : vscode.TreeItemCollapsibleState.Collapsed);
    item.id = `snapshot:${this.snapshot}:repo:${this.repo}`;
    const where = this.ref ? this.ref.replace(/^refs\/heads\//, '') : 'detached';
    const state =
      this.error !== undefined
        ? '⚠ cannot compare'
        : this.plan === undefined
          ? 'comparing with now…'
          : differs
            ? [this.plan!.fileCount ? `${plural(this.plan!.fileCount, 'file')} differ` : '', this.plan!.headChanged ? 'HEAD differs' : '', this.plan!.indexChanged && !this.plan!.fileCount ? 'index differs' : '']
                .filter(Boolean)
                .join(' · ')
            : 'same as now';
    item.description = `${where} ${shortHash(this.head)} · ${state}`;
    item.iconPath = new vscode.ThemeIcon('repo');
    item.tooltip = [this.repo, `At the snapshot: ${where} at ${this.head ?? 'no commit yet'}`, this.error ? `Cannot compare with now: ${this.error}` : '', ...(this.plan?.notes ?? [])].filter(Boolean).join('\n');
    item.contextValue = 'repo';
    return item;
  }

  async children(): Promise<Node[]> {
    const preview = await this.view.preview(this.snapshot);
    const plan = preview.repos.find((r) => r.path === this.repo);
    if (!plan || plan.fileCount === 0) return [new MessageNode(plan?.headChanged ? 'No file differs; HEAD does' : 'Same as now')];
    this.files ??= new PagedChildren(
      (offset) => requireClient().sendRequest(RollbackPlanFilesRequest, { plan: this.planHash || preview.hash, repo: this.repo, offset }),
      (file) => new SnapshotFileNode(this.snapshot, file),
    );
    return this.files.nodes(this.view.tree, this);
  }
}

const changeIcons: Record<PlannedFileSummary['change'], [string, string, string]> = {
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
    readonly file: PlannedFileSummary,
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
    item.id = `snapshot:${this.snapshot}:file:${f.repo}:${f.path}`;
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
