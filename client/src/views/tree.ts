import * as vscode from 'vscode';
import { describeError } from '../output';
import { ServerNotRunningError } from '../serverClient';

/**
 * The shape every CodeContext tree shares: elements are nodes that build their own `TreeItem` and
 * fetch their own children when expanded (lazily: nothing below a collapsed node is requested). A
 * node's fields (`campaign`, `snapshot`, `step`, `rollback`…) are what context-menu commands read.
 */
export interface Node {
  readonly kind: string;
  item(): vscode.TreeItem;
  children?(): Promise<Node[]>;
}

/** A tree of `Node`s whose roots come from one function; `refresh()` re-reads everything shown. */
export class NodeTree implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  /** Who listed each node: `reveal` needs the way up. */
  private readonly parents = new WeakMap<Node, Node>();

  constructor(private readonly roots: () => Promise<Node[]>) {}

  refresh(node?: Node): void {
    this.changed.fire(node);
  }

  getTreeItem(node: Node): vscode.TreeItem {
    return node.item();
  }

  getParent(node: Node): Node | undefined {
    return this.parents.get(node);
  }

  async getChildren(node?: Node): Promise<Node[]> {
    try {
      const children = node ? ((await node.children?.()) ?? []) : await this.roots();
      if (node) for (const child of children) this.parents.set(child, node);
      return children;
    } catch (e) {
      // the root level stays empty when the server is down: the view's welcome says so
      if (!node && e instanceof ServerNotRunningError) return [];
      return [new MessageNode(describeError(e), 'error')];
    }
  }

  dispose(): void {
    this.changed.dispose();
  }
}

/** A line of text in a tree: an error, an empty state below a node, a fact ("committed in 1.2 s"). */
export class MessageNode implements Node {
  readonly kind = 'message';
  constructor(
    private readonly text: string,
    private readonly icon: 'error' | 'info' | string = 'info',
    private readonly description?: string,
    private readonly tooltip?: string | vscode.MarkdownString,
  ) {}

  item(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.text, vscode.TreeItemCollapsibleState.None);
    item.iconPath = this.icon === 'error' ? new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground')) : new vscode.ThemeIcon(this.icon);
    item.description = this.description;
    item.tooltip = this.tooltip ?? this.text;
    item.contextValue = 'message';
    return item;
  }
}

/**
 * The children of a node that come a page at a time: the first page on expand, then a "Load more"
 * row that fetches the next page (`codecontext.loadMore`) and redraws only its parent.
 */
export class PagedChildren<T> {
  private items: T[] = [];
  private total = -1;

  constructor(
    private readonly fetch: (offset: number) => Promise<{ items: T[]; total: number }>,
    private readonly toNode: (item: T) => Node,
  ) {}

  async nodes(tree: NodeTree, parent: Node): Promise<Node[]> {
    if (this.total < 0) await this.more();
    const nodes = this.items.map(this.toNode);
    if (this.items.length < this.total)
      nodes.push(
        new LoadMoreNode(this.items.length, this.total, async () => {
          await this.more();
          tree.refresh(parent);
        }),
      );
    return nodes;
  }

  private async more(): Promise<void> {
    const page = await this.fetch(this.items.length);
    this.items.push(...page.items);
    this.total = page.total;
  }
}

export class LoadMoreNode implements Node {
  readonly kind = 'loadMore';
  constructor(
    private readonly shown: number,
    private readonly total: number,
    readonly load: () => Promise<void>,
  ) {}

  item(): vscode.TreeItem {
    const item = new vscode.TreeItem('Load more…', vscode.TreeItemCollapsibleState.None);
    item.description = `${this.shown} of ${this.total} shown`;
    item.iconPath = new vscode.ThemeIcon('ellipsis');
    item.command = { command: 'codecontext.loadMore', title: 'Load More', arguments: [this] };
    return item;
  }
}
