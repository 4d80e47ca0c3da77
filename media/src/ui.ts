// What both webview pages share: the typed channel to the extension, a small element builder (text
// always goes in as text, never as HTML), the test probe, and the unified-diff renderer.
import type { DiffView, RenderedSnapshot } from '../../client/src/webviews/messages';

interface VsCodeApi<T> {
  postMessage(message: T): void;
}
declare function acquireVsCodeApi<T>(): VsCodeApi<T>;

/** The page's channel to the extension, typed by the panel's union. Call once per page. */
export function channel<T>(): (message: T) => void {
  const api = acquireVsCodeApi<T>();
  return (m) => api.postMessage(m);
}

type Child = Node | string | number | false | null | undefined;
type Attrs = Record<string, string | number | boolean | undefined | ((e: Event) => void)>;

/** `h('button', { class: 'x', onclick: f, 'aria-label': 'Run' }, 'Run')`: attributes, handlers and text children. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.replace(/^on/, ''), v);
    else if (k === 'checked' || k === 'disabled' || k === 'hidden' || k === 'value') (el as unknown as Record<string, unknown>)[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

export function append(el: Element, children: Child[]): void {
  for (const c of children) if (c !== false && c !== null && c !== undefined) el.append(typeof c === 'number' ? String(c) : c);
}

/** A button that announces what it does; `action` names it for the tests' `press`. */
export function button(
  label: string,
  action: string,
  onclick: () => void,
  opts: { title?: string; secondary?: boolean; small?: boolean; icon?: string; key?: string; disabled?: boolean } = {},
): HTMLButtonElement {
  return h(
    'button',
    {
      type: 'button',
      class: [opts.secondary && 'secondary', opts.small && 'small', opts.icon && 'icon'].filter(Boolean).join(' ') || undefined,
      'data-action': action,
      'data-key': opts.key,
      title: opts.title,
      'aria-label': opts.icon ? (opts.title ?? label) : undefined,
      disabled: opts.disabled,
      onclick,
    },
    opts.icon ?? label,
  );
}

const ids = new Map<string, string>();
/** An element id for a row key (paths hold characters ids and selectors dislike); the same key, the same id. */
export function cssId(key: string): string {
  let id = ids.get(key);
  if (!id) ids.set(key, (id = `k${ids.size + 1}`));
  return id;
}

/** A page's open diffs by row key: the diff, or 'loading' while the extension fetches it. */
export type OpenDiffs = Map<string, DiffView | 'loading'>;

/** Opens a row's diff (`load` asks the extension for it) or closes it, and says so on the row's toggle button (in `root`), which it returns. */
export function toggleOpenDiff(openDiffs: OpenDiffs, root: ParentNode, key: string, load: () => void): HTMLButtonElement | null {
  if (openDiffs.has(key)) openDiffs.delete(key);
  else {
    openDiffs.set(key, 'loading');
    load();
  }
  const btn = root.querySelector<HTMLButtonElement>(`[data-action="toggleDiff"][data-key="${CSS.escape(key)}"]`);
  btn?.setAttribute('aria-expanded', String(openDiffs.has(key)));
  return btn;
}

/** Fills a row's diff host (`diff-<cssId(key)>`): hidden when closed, a line while it loads, else what `render` draws of it. */
export function drawDiffHost(key: string, d: DiffView | 'loading' | undefined, render: (d: DiffView) => HTMLElement): void {
  const host = document.getElementById(`diff-${cssId(key)}`);
  if (!host) return;
  host.hidden = !d;
  if (!d) host.replaceChildren();
  else if (d === 'loading') host.replaceChildren(h('p', { class: 'muted' }, 'Loading the diff…'));
  else host.replaceChildren(render(d));
}

/**
 * A request failed: the status line says why. A page that has drawn nothing yet shows its heading and
 * that line alone; one that has keeps what it shows (true is returned, so it may redraw).
 */
export function showError(app: HTMLElement, statusLine: HTMLElement, heading: string, message: string, drawn: boolean): boolean {
  statusLine.textContent = `Error: ${message}`;
  if (!drawn) app.replaceChildren(h('h1', {}, heading), statusLine);
  return drawn;
}

/** "50,000": a large plan's counts read at a glance (one fixed locale, as the page's words are English). */
export function count(n: number): string {
  return n.toLocaleString('en-US');
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${count(n)} ${n === 1 ? one : many}`;
}

/** "+12 −3", coloured by the theme's git decorations. */
export function lineCounts(added: number, removed: number, binary = false): HTMLElement {
  if (binary) return h('span', { class: 'counts muted' }, 'binary');
  return h(
    'span',
    { class: 'counts', 'aria-label': `${count(added)} lines added, ${count(removed)} removed` },
    h('span', { class: 'added' }, `+${count(added)}`),
    ' ',
    h('span', { class: 'removed' }, `−${count(removed)}`),
  );
}

/**
 * What the page draws, read back from the DOM (not from the data it was sent): rows marked
 * `data-probe="repo"` / `"file"` with `data-label`, the heading, the status line and the buttons.
 */
export function snapshotOf(root: ParentNode, step?: number): RenderedSnapshot {
  const labels = (sel: string) => [...root.querySelectorAll<HTMLElement>(sel)].filter(visible).map((e) => e.dataset.label ?? '');
  return {
    title: root.querySelector('h1')?.textContent ?? '',
    repos: labels('[data-probe="repo"]'),
    files: labels('[data-probe="file"]'),
    checked: [...root.querySelectorAll<HTMLInputElement>('[data-probe="file"] input[type=checkbox]')]
      .filter((c) => c.checked && visible(c))
      .map((c) => c.closest<HTMLElement>('[data-probe="file"]')?.dataset.label ?? ''),
    status: root.querySelector('[role="status"]')?.textContent ?? '',
    diffs: root.querySelectorAll('table.diff').length,
    actions: [...root.querySelectorAll<HTMLElement>('[data-action]')]
      .filter((b) => visible(b) && !(b as HTMLButtonElement).disabled)
      .map((b) => b.dataset.action ?? ''),
    ...(step !== undefined ? { step } : {}),
  };
}

function visible(e: HTMLElement): boolean {
  return !e.closest('[hidden]');
}

/** Clicks the element a test named: `[data-action=…]`, narrowed to `[data-key=…]` for row controls. */
export function pressAction(root: ParentNode, action: string, key?: string): void {
  if (action.startsWith('key:')) {
    (document.activeElement ?? document.body).dispatchEvent(new KeyboardEvent('keydown', { key: action.slice(4), bubbles: true }));
    return;
  }
  const candidates = [...root.querySelectorAll<HTMLElement>(`[data-action="${CSS.escape(action)}"]`)];
  const el = candidates.find((c) => key === undefined || c.dataset.key === key);
  if (!el) throw new Error(`no control "${action}"${key !== undefined ? ` for ${key}` : ''}`);
  el.click();
}

// ---------------------------------------------------------------------------------------------
// Unified diffs

interface DiffLine {
  kind: 'context' | 'add' | 'del' | 'hunk' | 'note';
  old?: number;
  new?: number;
  text: string;
}

/** Lines drawn per diff at most; the diff editor shows the rest. */
const maxLines = 3000;

/** Parses the hunks of a unified diff (headers before the first `@@` are skipped). */
export function parseUnifiedDiff(patch: string): DiffLine[] {
  const out: DiffLine[] = [];
  let oldNo = 0;
  let newNo = 0;
  let inHunk = false;
  const lines = patch.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  for (const line of lines) {
    const m = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@(.*)$/.exec(line);
    if (m) {
      oldNo = Number(m[1]);
      newNo = Number(m[2]);
      inHunk = true;
      out.push({ kind: 'hunk', text: line });
    } else if (line.startsWith('diff --git '))
      inHunk = false; // the next file's header (a patch of several files)
    else if (!inHunk) continue;
    else if (line.startsWith('+')) out.push({ kind: 'add', new: newNo++, text: line.slice(1) });
    else if (line.startsWith('-')) out.push({ kind: 'del', old: oldNo++, text: line.slice(1) });
    else if (line.startsWith('\\')) out.push({ kind: 'note', text: line.slice(2) });
    else out.push({ kind: 'context', old: oldNo++, new: newNo++, text: line.slice(1) });
  }
  return out;
}

/** A diff as a table, inline (one column) or side by side, in the theme's diff colours. */
export function renderDiff(diff: DiffView, layout: 'inline' | 'split', caption: string): HTMLElement {
  if (diff.error) return h('p', { class: 'error', role: 'alert' }, `The diff could not be loaded: ${diff.error}`);
  if (diff.binary) return h('p', { class: 'muted' }, 'Binary file: no text diff. Open it in the diff editor to compare.');
  const lines = parseUnifiedDiff(diff.patch);
  if (lines.length === 0) return h('p', { class: 'muted' }, 'No content change (the file mode or type changes).');
  const shown = lines.slice(0, maxLines);
  const table = h('table', { class: `diff ${layout}`, 'aria-label': caption });
  const body = h('tbody');
  table.append(body);
  if (layout === 'inline') for (const l of shown) body.append(inlineRow(l));
  else for (const row of pairRows(shown)) body.append(row);
  const wrap = h('div', { class: 'diff-wrap' }, table);
  if (lines.length > maxLines) wrap.append(h('p', { class: 'muted' }, `… ${lines.length - maxLines} more lines: open the diff editor for the whole file.`));
  return wrap;
}

const sign = { context: ' ', add: '+', del: '−', hunk: '', note: '' } as const;
const spoken = { context: 'unchanged', add: 'added', del: 'removed', hunk: '', note: '' } as const;

function inlineRow(l: DiffLine): HTMLTableRowElement {
  if (l.kind === 'hunk' || l.kind === 'note') return h('tr', { class: l.kind }, h('td', { colspan: 4, class: 'code' }, l.text));
  return h(
    'tr',
    { class: l.kind },
    h('td', { class: 'ln', 'aria-hidden': 'true' }, l.old ?? ''),
    h('td', { class: 'ln', 'aria-hidden': 'true' }, l.new ?? ''),
    h('td', { class: 'sign', 'aria-label': spoken[l.kind] }, sign[l.kind]),
    h('td', { class: 'code' }, l.text),
  );
}

/** Side by side: context on both sides; a run of removals paired line by line with the additions after it. */
function pairRows(lines: DiffLine[]): HTMLTableRowElement[] {
  const rows: HTMLTableRowElement[] = [];
  const cell = (l: DiffLine | undefined, side: 'old' | 'new') =>
    l
      ? [
          h('td', { class: `ln ${l.kind}`, 'aria-hidden': 'true' }, side === 'old' ? l.old : l.new),
          h('td', { class: `code ${l.kind}`, 'aria-label': spoken[l.kind] ? `${spoken[l.kind]}: ${l.text}` : undefined }, l.text),
        ]
      : [h('td', { class: 'ln empty' }), h('td', { class: 'code empty' })];
  for (let i = 0; i < lines.length;) {
    const l = lines[i];
    if (l.kind === 'hunk' || l.kind === 'note') {
      rows.push(h('tr', { class: l.kind }, h('td', { colspan: 4, class: 'code' }, l.text)));
      i++;
    } else if (l.kind === 'context') {
      rows.push(h('tr', { class: 'context' }, ...cell(l, 'old'), ...cell(l, 'new')));
      i++;
    } else {
      const dels: DiffLine[] = [];
      const adds: DiffLine[] = [];
      while (i < lines.length && lines[i].kind === 'del') dels.push(lines[i++]);
      while (i < lines.length && lines[i].kind === 'add') adds.push(lines[i++]);
      for (let k = 0; k < Math.max(dels.length, adds.length); k++) rows.push(h('tr', {}, ...cell(dels[k], 'old'), ...cell(adds[k], 'new')));
    }
  }
  return rows;
}
