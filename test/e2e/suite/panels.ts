// What the e2e tests know of the extension's webview panels (preview, history, evidence) and of the editors they
// open: duck types of the handles their commands return (tests cannot import client/ code: the bundle is not loaded
// here, and compiling it from this tree would write into client/src), and a wait for an editor tab.
import * as vscode from 'vscode';

/** The duck type of client/src/webviews/messages.ts's RenderedSnapshot: what a page reports it draws. */
export interface Rendered {
  title: string;
  repos: string[];
  files: string[];
  /** preview only */
  checked: string[];
  status: string;
  actions: string[];
  diffs: number;
  /** history only */
  step?: number;
  driftLines?: number;
  driftMarks?: string[];
  waveNotes?: string[];
  waves?: string[];
  runLabel?: string;
  tabStops?: string[];
  rowControls?: string[];
  focused?: string;
  alert?: string;
  statusLog?: string[];
  /** preview only: the run bar (folded or not, its height and the page's) and the check command's box as drawn */
  footer?: { folded: boolean; height: number; viewport: number };
  checkInput?: { background: string; color: string; placeholder: string; border: string };
  /** history only */
  badges?: string[];
}

/** The duck type of client/src/webviews/panelHost.ts's PanelHandle: `press` clicks the page's own buttons, `rendered` reads back what it draws. */
export interface PanelHandle {
  panel: vscode.WebviewPanel;
  whenReady(): Promise<void>;
  rendered(): Promise<Rendered>;
  press(action: string, key?: string): Promise<void>;
  waitForStatus(text: string | RegExp, timeoutMs?: number): Promise<Rendered>;
  waitFor(test: (s: Rendered) => boolean, what?: string, timeoutMs?: number): Promise<Rendered>;
}

/**
 * Resolves with what `find` returns once it returns something, re-looking on every tab change (the real event), or
 * rejects after `timeoutMs` with the message `failure` gives then.
 */
export function waitForTab<T>(find: () => T | undefined, failure: () => string, timeoutMs = 15_000): Promise<T> {
  const now = find();
  if (now !== undefined) return Promise.resolve(now);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      listening.dispose();
      reject(new Error(failure()));
    }, timeoutMs);
    const listening = vscode.window.tabGroups.onDidChangeTabs(() => {
      const found = find();
      if (found === undefined) return;
      clearTimeout(timer);
      listening.dispose();
      resolve(found);
    });
  });
}

/** A tab showing a diff titled `title`, in any editor group (a review diff opens beside the history panel). */
export function diffTab(title: string, timeoutMs = 15_000): Promise<vscode.Tab> {
  const tabs = () => vscode.window.tabGroups.all.flatMap((g) => g.tabs);
  return waitForTab(
    () => tabs().find((t) => t.input instanceof vscode.TabInputTextDiff && t.label === title),
    () =>
      `no diff editor titled "${title}": ${tabs()
        .map((t) => t.label)
        .join(', ')}`,
    timeoutMs,
  );
}
