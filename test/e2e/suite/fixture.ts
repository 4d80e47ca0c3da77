// What the e2e tests share: the fixture runTests.ts made with the CLI before VS Code opened, the
// extension's test API (its trees and a way to wait for the server), and small tree-walking helpers
// that wait for the real change events instead of sleeping.
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import { existsSync, readFileSync } from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { Fixture } from '../runTests';

export const EXTENSION_ID = 'codecontext.codecontext-rollback';

export function fixture(): Fixture {
  const file = process.env.CODECONTEXT_E2E_FIXTURE;
  if (!file) throw new Error('CODECONTEXT_E2E_FIXTURE is not set: run the suite with npm run test:e2e');
  return JSON.parse(readFileSync(file, 'utf8')) as Fixture;
}

/** The duck type of client/src/views/tree.ts's nodes and trees (the bundle is not imported here). */
export interface Node {
  kind: string;
  [field: string]: unknown;
}
export interface Tree extends vscode.TreeDataProvider<Node> {
  getChildren(node?: Node): Promise<Node[]>;
  getTreeItem(node: Node): vscode.TreeItem;
}
export interface Api {
  trees: { campaigns: Tree; snapshots: Tree; rollbacks: Tree };
  views: { campaigns: vscode.TreeView<Node>; snapshots: vscode.TreeView<Node>; rollbacks: vscode.TreeView<Node> };
  whenRunning(): Promise<void>;
  /** The campaign the status bar shows once its latest update settled. */
  statusBarCampaign(): Promise<{ id: string; name: string } | undefined>;
  /** Answers the modal confirmations instead of VS Code (which refuses them in tests); returns those shown. undefined: stop answering. */
  answerConfirmations(answer: ((c: Confirmation) => string | undefined) | undefined): Confirmation[];
  /** The `codecontext.noRepos` context key as the extension last set it. */
  noRepos(): Promise<boolean | undefined>;
  /** Starts a list of every progress the extension shows from now on: where, its title, its messages. */
  watchProgress(): ShownProgress[];
  /** The server process's id (a test kills it mid-command). */
  serverPid(): number | undefined;
  /** Fires when the server starts running (true) or stops (false). */
  onDidChangeRunning: vscode.Event<boolean>;
  /** Settles once the open snapshot quick pick has drawn every row's comparison with now. */
  snapshotPickCompared(): Promise<void>;
}

/** One progress the extension showed (client/src/request.ts's ShownProgress). */
export interface ShownProgress {
  location: 'notification' | 'window' | 'view';
  title: string;
  messages: string[];
}

/** The words and buttons of a modal confirmation; `buttons[0]` (= `defaultButton`) is the one Enter presses. */
export interface Confirmation {
  message: string;
  detail: string;
  buttons: string[];
  defaultButton: string;
}

/** Activates the extension and waits for its server. */
export async function ready(): Promise<Api> {
  const ext = vscode.extensions.getExtension<Api>(EXTENSION_ID);
  if (!ext) throw new Error(`${EXTENSION_ID} is not loaded`);
  const api = await ext.activate();
  await api.whenRunning();
  return api;
}

/** `ready()`, then the CodeContext view container shown, as a user opens it from the activity bar. */
export async function readyInView(): Promise<Api> {
  const api = await ready();
  await vscode.commands.executeCommand('workbench.view.extension.codecontext');
  return api;
}

/** The campaign's end state, where the tests of commands.test.ts and palette.test.ts start and end. */
export function atCampaignEnd(): void {
  const { repos } = fixture();
  assert.match(readFileSync(path.join(repos.alpha, 'src', 'index.ts'), 'utf8'), /import \{ log \}/);
  assert.ok(!existsSync(path.join(repos.beta, 'old.txt')), 'beta/old.txt is back');
  assert.strictEqual(readFileSync(path.join(repos.gamma, 'NOTES.md'), 'utf8'), 'work in progress\n');
  assert.match(readFileSync(path.join(repos.gamma, 'README.md'), 'utf8'), /Maintained by the platform team/);
}

export function label(tree: Tree, node: Node): string {
  const l = tree.getTreeItem(node).label;
  return typeof l === 'string' ? l : (l?.label ?? '');
}

export function description(tree: Tree, node: Node): string {
  const d = tree.getTreeItem(node).description;
  return typeof d === 'string' ? d : '';
}

/** The child of `parent` (the roots when undefined) whose label is `name`; fails listing what is there. */
export async function child(tree: Tree, parent: Node | undefined, name: string | RegExp): Promise<Node> {
  const children = await tree.getChildren(parent);
  const found = children.find((n) => (typeof name === 'string' ? label(tree, n) === name : name.test(label(tree, n))));
  if (!found) throw new Error(`no "${name}" below ${parent ? label(tree, parent) : 'the root'}: ${children.map((n) => label(tree, n)).join(', ')}`);
  return found;
}

/** Walks a path of labels from the root. */
export async function walk(tree: Tree, ...names: (string | RegExp)[]): Promise<Node> {
  let node: Node | undefined;
  for (const name of names) node = await child(tree, node, name);
  return node!;
}

/**
 * Reveals the node `find` gives, found again if the tree refreshed meanwhile. The trees follow the
 * store: a write the server hears (a rollback, a checkpoint, a note on a snapshot) refreshes them a
 * moment later, and VS Code cannot reveal a node of the tree as it was before that ("Cannot resolve
 * tree item"), as a user's click on a row that just redrew lands on the new row.
 */
export async function revealFound(
  view: vscode.TreeView<Node>,
  find: () => Promise<Node>,
  options: Parameters<vscode.TreeView<Node>['reveal']>[1],
): Promise<Node> {
  for (let tries = 1; ; tries++) {
    const node = await find();
    try {
      await view.reveal(node, options);
      return node;
    } catch (e) {
      if (tries >= 5 || !/Cannot resolve tree item/.test(String(e))) throw e;
      await new Promise((r) => setTimeout(r, 300));
    }
  }
}

/**
 * Resolves once `check` returns a value, re-checking on every change event of `tree` (the real event
 * a user's view would redraw on), or rejects after `timeoutMs`.
 */
export async function waitForTree<T>(tree: Tree, check: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const first = await check();
  if (first !== undefined) return first;
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      listener.dispose();
      reject(new Error(`the tree did not show what was expected within ${timeoutMs} ms`));
    }, timeoutMs);
    const listener = tree.onDidChangeTreeData!(async () => {
      const value = await check().catch(() => undefined);
      if (value !== undefined) {
        clearTimeout(timer);
        listener.dispose();
        resolve(value);
      }
    });
  });
}

/** Runs the project's CLI on the test store (what a user does in a terminal while VS Code is open). */
export function cli(...args: string[]): unknown {
  const f = fixture();
  return JSON.parse(execFileSync(process.execPath, [f.cli, '--store', f.store, '--json', ...args], { cwd: f.workspace, encoding: 'utf8' }));
}

export function git(repo: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd: repo, encoding: 'utf8', env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1' } });
}

/** The text of the document at `uri` as VS Code holds it. */
export async function textOf(uri: vscode.Uri): Promise<string> {
  return (await vscode.workspace.openTextDocument(uri)).getText();
}
