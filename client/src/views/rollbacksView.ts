import * as vscode from 'vscode';
import { RollbackListRequest, RollbackRecord } from '../../../server/src/protocol';
import { requireClient } from '../serverClient';
import { ago, changedRepos, duration, plural, rollbackTitle, shortHash, shortId } from './format';
import { MessageNode, Node, NodeTree } from './tree';
import { listScope, repoLabel } from '../scope';

/** Rollbacks: rollback → outcome, time, repos, evidence. Every rollback and undo, newest first. */
export class RollbacksView implements vscode.Disposable {
  /**
   * The rows last listed, by rollback id. A row whose record and title did not change is the same node
   * the next time, so VS Code's `reveal` finds it (a new object with an id it already holds is refused).
   */
  private rows = new Map<string, RollbackNode>();

  readonly tree = new NodeTree(async () => {
    const { rollbacks, invalid } = await requireClient().sendRequest(RollbackListRequest, listScope());
    // a record that cannot be read is shown as such, never hidden
    const unreadable = (invalid ?? []).map((i) => new MessageNode(`${i.id} (unreadable)`, 'warning', 'invalid record', `${i.reason}\n${i.file}`));
    const rows = new Map<string, RollbackNode>();
    for (const r of rollbacks) {
      const title = rollbackTitle(r, rollbacks);
      const known = this.rows.get(r.id);
      rows.set(r.id, known && known.title === title && JSON.stringify(known.record) === JSON.stringify(r) ? known : new RollbackNode(r, title));
    }
    this.rows = rows;
    return [...rows.values(), ...unreadable];
  });

  refresh(): void {
    this.tree.refresh();
  }

  dispose(): void {
    this.tree.dispose();
  }
}

export class RollbackNode implements Node {
  readonly kind = 'rollback';
  readonly rollback: string;

  constructor(
    readonly record: RollbackRecord,
    readonly title = rollbackTitle(record),
  ) {
    this.rollback = record.id;
  }

  item(): vscode.TreeItem {
    const r = this.record;
    const item = new vscode.TreeItem(this.title, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = `rollback:${r.id}`;
    const outcome = r.undoneBy ? `${r.outcome}, undone` : r.outcome;
    // the repos it changed, as the confirmation counted them; the others already matched
    item.description = [shortId(r.id), outcome, plural(r.outcome === 'committed' ? changedRepos(r) : r.repos.length, 'repo'), ago(r.startedAt)].join(' · ');
    item.iconPath =
      r.outcome === 'aborted'
        ? new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed'))
        : r.undoneBy
          ? new vscode.ThemeIcon('discard')
          : r.outcome === 'recovered'
            ? new vscode.ThemeIcon('debug-restart', new vscode.ThemeColor('list.warningForeground'))
            : new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed'));
    item.tooltip = [
      `${this.title}`,
      r.kind === 'undo' && r.undoOf ? `${r.id}, the undo of ${r.undoOf}` : r.id,
      `${outcome} · ${r.mode} mode · ${duration(r.durationMs)} · ${new Date(r.startedAt).toLocaleString()}`,
      r.error ? `Error: ${r.error.message}` : '',
      r.safetySnapshot ? `Safety snapshot ${r.safetySnapshot}` : '',
      r.undoneBy ? `Undone by ${r.undoneBy}` : '',
    ]
      .filter(Boolean)
      .join('\n');
    // undo is offered only where it can run: a committed rollback (not an undo) not undone yet; the
    // row offers it as the outcome toast did, so it stays within reach once the toast is gone
    item.contextValue = r.kind === 'rollback' && r.outcome === 'committed' && !r.undoneBy ? 'rollback.undoable' : 'rollback';
    return item;
  }

  async children(): Promise<Node[]> {
    const r = this.record;
    const outcomeIcon = r.outcome === 'aborted' ? 'error' : r.outcome === 'recovered' ? 'debug-restart' : 'pass';
    return [
      new MessageNode(
        `Outcome: ${r.outcome}${r.undoneBy ? `, undone by ${shortId(r.undoneBy)}` : ''}`,
        outcomeIcon,
        r.error?.message,
        r.error ? `${r.error.code}: ${r.error.message}` : undefined,
      ),
      new MessageNode(`Time: ${new Date(r.startedAt).toLocaleString()}`, 'clock', duration(r.durationMs), timeTooltip(r, this.title)),
      new RollbackReposNode(r),
      new EvidenceNode(r),
    ];
  }
}

/** The phases as a person reads them: when, how long, retries; never the record's JSON. */
export function timeTooltip(r: RollbackRecord, title = rollbackTitle(r)): vscode.MarkdownString {
  const t0 = Date.parse(r.startedAt);
  const md = new vscode.MarkdownString();
  md.appendMarkdown('**')
    .appendText(title)
    .appendMarkdown(`** — ${r.outcome} in ${duration(r.durationMs)}\n\n`);
  md.appendText(`Started ${new Date(r.startedAt).toLocaleString()}, ended ${new Date(r.endedAt).toLocaleString()}`).appendMarkdown('\n\n');
  if (r.phases.length) {
    md.appendMarkdown('| Phase | Started | Took | Retries |\n|:--|--:|--:|--:|\n');
    for (const p of r.phases) {
      const took = p.ms === undefined ? 'did not end' : duration(p.ms);
      md.appendMarkdown(`| ${p.name} | +${duration(Math.max(0, Date.parse(p.startedAt) - t0))} | ${took} | ${p.retries || '—'} |\n`);
    }
  } else {
    md.appendMarkdown('No phase ran: it was refused before prepare.\n');
  }
  md.appendMarkdown("\nOpen the evidence pack for each repo's part on a timeline.");
  return md;
}

class RollbackReposNode implements Node {
  readonly kind = 'rollbackRepos';
  constructor(private readonly record: RollbackRecord) {}

  item(): vscode.TreeItem {
    const item = new vscode.TreeItem('Repositories', vscode.TreeItemCollapsibleState.Collapsed);
    item.id = `rollback:${this.record.id}:repos`;
    item.description = `${this.record.repos.length}`;
    item.iconPath = new vscode.ThemeIcon('repo');
    return item;
  }

  async children(): Promise<Node[]> {
    return this.record.repos.map((repo) => new RollbackRepoNode(this.record, repo));
  }
}

class RollbackRepoNode implements Node {
  readonly kind = 'rollbackRepo';
  readonly rollback: string;
  constructor(
    private readonly record: RollbackRecord,
    private readonly repo: RollbackRecord['repos'][number],
  ) {
    this.rollback = record.id;
  }

  item(): vscode.TreeItem {
    const r = this.repo;
    const item = new vscode.TreeItem(repoLabel(r.path), vscode.TreeItemCollapsibleState.None);
    item.id = `rollback:${this.record.id}:repo:${r.path}`;
    item.description = `${plural(r.files, 'file')} · wave ${r.wave + 1} · ${shortHash(r.before.head)} → ${r.after ? shortHash(r.after.head) : 'unchanged'}`;
    item.iconPath = new vscode.ThemeIcon('repo');
    item.tooltip =
      `${r.path}\nbefore: HEAD ${r.before.head ?? 'none'}, worktree ${r.before.worktree}\nafter: ` +
      `${r.after ? `HEAD ${r.after.head ?? 'none'}, worktree ${r.after.worktree}` : 'not changed'}\nClick to open the evidence pack.`;
    item.command = { command: 'codecontext.openEvidence', title: 'Open Evidence', arguments: [this] };
    item.contextValue = 'rollbackRepo';
    return item;
  }
}

class EvidenceNode implements Node {
  readonly kind = 'evidence';
  readonly rollback: string;
  constructor(private readonly record: RollbackRecord) {
    this.rollback = record.id;
  }

  item(): vscode.TreeItem {
    const item = new vscode.TreeItem('Evidence pack', vscode.TreeItemCollapsibleState.None);
    item.id = `rollback:${this.record.id}:evidence`;
    item.description = this.record.evidence.split(/[\\/]/).pop();
    item.iconPath = new vscode.ThemeIcon('verified');
    item.tooltip = `${this.record.evidence}\nWho, where, when, the plan, each phase, per repo the states and per file the inverse diff, with a digest.`;
    item.command = { command: 'codecontext.openEvidence', title: 'Open Evidence', arguments: [this] };
    item.contextValue = 'evidence';
    return item;
  }
}
