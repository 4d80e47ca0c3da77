// The "Rollback preview" page: the plan by wave and repo, each file's inverse diff, the user's choice of
// repos and files, then the run with per-repo progress and its result. All data comes from the
// extension (PreviewToWebview); every user action goes back as a PreviewFromWebview.
import type { DiffView, PreviewFileView, PreviewFromWebview, PreviewRepoView, PreviewState, PreviewToWebview, RunResultView } from '../../client/src/webviews/messages';
import { button, channel, cssId, h, lineCounts, plural, pressAction, renderDiff, snapshotOf } from './ui';

const post = channel<PreviewFromWebview>();
const app = document.getElementById('app')!;

type Layout = 'inline' | 'split';
type Show = 'all' | 'drift' | 'conflicts';
type Cell = 'waiting' | 'active' | 'done' | 'failed';
const phases = ['prepare', 'commit', 'verify'] as const;

const keyOf = (repo: string, path: string) => `${repo}\n${path}`;

let plan: PreviewState | undefined;
let filesByRepo = new Map<string, PreviewFileView[]>();
let names = new Map<string, string>();
const excludedRepos = new Set<string>();
const excludedFiles = new Set<string>();
const expandedRepos = new Set<string>();
const openDiffs = new Map<string, DiffView | 'loading'>();
let filter = '';
let show: Show = 'all';
let layout: Layout = 'inline';
let force = false;
/** The rolling check the user typed: run in each repo right after it commits (empty: each repo's own, if any). */
let checkCommand = '';

let status = '';
let busy = true;
let run: { kind: 'rollback' | 'undo'; repos: string[]; cells: Map<string, Record<string, Cell>>; committing: boolean } | undefined;
let result: RunResultView | undefined;

// page regions, each redrawn on its own so typing in the filter or a progress report does not rebuild the rest
const header = h('header');
const planSection = h('section', { class: 'plan', 'aria-label': 'Rollback plan' });
const footer = h('footer', { class: 'actions', 'aria-label': 'Run the rollback' });
const statusLine = h('p', { class: 'status', role: 'status', 'aria-live': 'polite' });

window.addEventListener('message', (e: MessageEvent<PreviewToWebview>) => receive(e.data));
post({ type: 'ready' });

function receive(m: PreviewToWebview): void {
  switch (m.type) {
    case 'loading':
      busy = true;
      setStatus(m.message);
      if (!plan) app.replaceChildren(statusLine);
      drawFooter();
      return;
    case 'plan':
      busy = false;
      run = undefined;
      result = undefined;
      setPlan(m.state);
      return;
    case 'diff': {
      const key = keyOf(m.diff.repo, m.diff.path);
      if (!openDiffs.has(key)) return; // closed while it loaded
      openDiffs.set(key, m.diff);
      drawDiff(key);
      return;
    }
    case 'runStarted':
      busy = true;
      result = undefined;
      run = { kind: m.kind, repos: m.repos, cells: new Map(m.repos.map((r) => [r, { prepare: 'waiting', commit: 'waiting', verify: 'waiting' }])), committing: false };
      setStatus(m.kind === 'undo' ? 'Undoing the rollback…' : 'Rolling back…');
      drawFooter();
      return;
    case 'progress':
      onProgress(m.phase, m.done, m.repo, m.message);
      return;
    case 'result':
      busy = false;
      result = m.result;
      if (run) for (const cells of run.cells.values()) for (const p of phases) if (cells[p] === 'active') cells[p] = m.result.outcome === 'committed' ? 'done' : 'failed';
      setStatus(m.result.message);
      drawFooter();
      return;
    case 'error':
      busy = false;
      setStatus(`Error: ${m.message}`);
      if (!plan) app.replaceChildren(h('h1', {}, 'Rollback preview'), statusLine, button('Try Again', 'refresh', () => replan()));
      drawFooter();
      return;
    case 'probe':
      post({ type: 'rendered', id: m.id, snapshot: snapshotOf(app) });
      return;
    case 'press':
      pressAction(app, m.action, m.key);
      return;
  }
}

function setStatus(text: string): void {
  status = text;
  statusLine.textContent = status;
}

function setPlan(state: PreviewState): void {
  const samePlan = plan?.planHash === state.planHash;
  plan = state;
  filesByRepo = new Map(state.repos.map((r) => [r.path, []]));
  for (const f of state.files) filesByRepo.get(f.repo)?.push(f);
  names = new Map(state.repos.map((r) => [r.path, r.name]));
  if (!samePlan) {
    for (const set of [excludedRepos, excludedFiles, expandedRepos]) set.clear();
    openDiffs.clear();
    if (state.totals.files <= 300) for (const r of state.repos) expandedRepos.add(r.path);
  }
  const t = state.totals;
  setStatus(
    t.files === 0 && t.reposChanged === 0
      ? `Nothing to roll back: every repo is already at ${state.targetLabel}.`
      : `Plan ready: ${plural(t.files, 'file')} in ${plural(t.reposChanged, 'repo')} change. Nothing has changed yet.`,
  );
  drawHeader();
  drawPlan();
  drawFooter();
  app.replaceChildren(header, planSection, footer);
  app.setAttribute('aria-busy', 'false');
}

function replan(mode?: 'restore' | 'replay'): void {
  post({ type: 'replan', ...(mode ? { mode } : {}) });
}

// ---------------------------------------------------------------------------------------------
// Header: what the plan is, and the filters

function drawHeader(): void {
  if (!plan) return;
  const t = plan.totals;
  const summary = h(
    'p',
    { class: 'summary' },
    `${plan.mode} mode · ${plural(t.repos, 'repo')} (${t.reposChanged} change) · ${plural(t.files, 'file')} `,
    lineCounts(t.added, t.removed),
    t.drift ? h('span', { class: 'badge warning', title: 'Changed by someone other than the campaign since its last checkpoint' }, `${t.drift} drift`) : null,
    t.conflicts ? h('span', { class: 'badge error' }, plural(t.conflicts, 'conflict')) : null,
    h('span', { class: 'muted' }, ` · plan ${plan.planHash.slice(0, 12)}`),
  );
  const filterBox = h('input', {
    type: 'search',
    placeholder: 'Filter files',
    'aria-label': 'Filter files by path or repo',
    value: filter,
    oninput: (e) => {
      filter = (e.target as HTMLInputElement).value.toLowerCase();
      drawPlan();
    },
  });
  const select = <T extends string>(label: string, value: T, options: [T, string][], onchange: (v: T) => void) =>
    h(
      'label',
      { class: 'select' },
      label,
      h('select', { 'aria-label': label, onchange: (e) => onchange((e.target as HTMLSelectElement).value as T) }, ...options.map(([v, text]) => h('option', { value: v, selected: v === value }, text))),
    );
  header.replaceChildren(
    h('h1', {}, `Roll back to ${plan.targetLabel}`),
    summary,
    h(
      'div',
      { class: 'toolbar', role: 'toolbar', 'aria-label': 'Plan filters' },
      filterBox,
      select('Show', show, [['all', 'All files'], ['drift', 'Drifted files'], ['conflicts', 'Conflicts']], (v) => {
        show = v;
        drawPlan();
      }),
      select('Diff', layout, [['inline', 'Inline'], ['split', 'Side by side']], (v) => {
        layout = v;
        for (const k of openDiffs.keys()) drawDiff(k);
      }),
      select('Mode', plan.mode, [['restore', 'Restore'], ['replay', 'Replay']], (v) => replan(v)),
      button('Tick Shown', 'tickShown', () => tickShown(true), { secondary: true, title: 'Include every file the filter shows' }),
      button('Untick Shown', 'untickShown', () => tickShown(false), { secondary: true, title: 'Leave out every file the filter shows' }),
      button('Refresh', 'refresh', () => replan(), { secondary: true, title: 'Plan again from the repos as they are now' }),
    ),
  );
}

function matches(f: PreviewFileView): boolean {
  if (show === 'drift' && !f.drift) return false;
  if (show === 'conflicts' && !f.conflict) return false;
  return !filter || f.path.toLowerCase().includes(filter) || (names.get(f.repo) ?? '').toLowerCase().includes(filter);
}

function tickShown(on: boolean): void {
  for (const [repo, files] of filesByRepo) {
    for (const f of files.filter(matches)) {
      if (on) excludedFiles.delete(keyOf(repo, f.path));
      else excludedFiles.add(keyOf(repo, f.path));
    }
    if (on && files.some(matches)) excludedRepos.delete(repo);
  }
  drawPlan();
  drawFooter();
}

// ---------------------------------------------------------------------------------------------
// The plan: waves → repos → files (→ diffs)

function drawPlan(): void {
  if (!plan) return;
  const focus = focusedControl();
  renderPlan(plan);
  restoreFocus(focus);
}

/** The focused control as (action, key), so a redraw can put the focus back on its new twin. */
function focusedControl(): { action: string; key?: string } | undefined {
  const el = document.activeElement as HTMLElement | null;
  return el?.dataset.action ? { action: el.dataset.action, key: el.dataset.key } : undefined;
}

function restoreFocus(f: { action: string; key?: string } | undefined): void {
  const active = document.activeElement;
  if (!f || (active && active !== document.body && active.isConnected)) return;
  const sel = `[data-action="${CSS.escape(f.action)}"]${f.key !== undefined ? `[data-key="${CSS.escape(f.key)}"]` : ''}`;
  app.querySelector<HTMLElement>(sel)?.focus();
}

function renderPlan(plan: PreviewState): void {
  const byPath = new Map(plan.repos.map((r) => [r.path, r]));
  const parts: HTMLElement[] = [];
  if (plan.cycles.length) parts.push(h('p', { class: 'warning' }, `Dependency cycles (rolled back together): ${plan.cycles.map((c) => c.map((r) => names.get(r) ?? r).join(' ↔ ')).join('; ')}`));
  plan.waves.forEach((wave, i) => {
    const repos = wave.map((p) => byPath.get(p)).filter((r): r is PreviewRepoView => !!r && repoVisible(r));
    if (!repos.length) return;
    const waveLabel = plan.waves.length > 1 ? `Wave ${i + 1} of ${plan.waves.length}${i === 0 ? ' (dependants first)' : ''}` : 'Repos';
    parts.push(h('section', { class: 'wave', 'aria-label': waveLabel }, h('h2', {}, waveLabel), ...repos.map(repoBlock)));
  });
  if (!parts.length) parts.push(h('p', { class: 'muted' }, plan.files.length ? 'No file matches the filter.' : 'No file changes.'));
  if (plan.filesTruncated) parts.push(h('p', { class: 'muted' }, `Only the first ${plan.files.length} of ${plan.totals.files} files are listed; the rollback covers all of them.`));
  planSection.replaceChildren(...parts);
}

function repoVisible(r: PreviewRepoView): boolean {
  if (!filter && show === 'all') return true;
  return (filesByRepo.get(r.path) ?? []).some(matches) || (show === 'all' && !!filter && r.name.toLowerCase().includes(filter));
}

function repoBlock(r: PreviewRepoView): HTMLElement {
  const files = filesByRepo.get(r.path) ?? [];
  const included = !excludedRepos.has(r.path);
  const ticked = files.filter((f) => !excludedFiles.has(keyOf(r.path, f.path))).length;
  const expanded = expandedRepos.has(r.path);
  const listId = `files-${cssId(r.path)}`;
  const box = h('input', {
    type: 'checkbox',
    checked: included && (files.length === 0 || ticked > 0),
    'aria-label': `Include ${r.name} in the rollback`,
    'data-action': 'toggleRepo',
    'data-key': r.path,
    onchange: (e) => {
      const on = (e.target as HTMLInputElement).checked;
      if (on) {
        excludedRepos.delete(r.path);
        if (ticked === 0) for (const f of files) excludedFiles.delete(keyOf(r.path, f.path));
      } else excludedRepos.add(r.path);
      drawPlan();
      drawFooter();
    },
  });
  box.indeterminate = included && ticked > 0 && ticked < files.length;
  const added = files.reduce((n, f) => n + f.added, 0);
  const removed = files.reduce((n, f) => n + f.removed, 0);
  const row = h(
    'div',
    { class: 'repo-row', 'data-probe': 'repo', 'data-label': r.name },
    box,
    h(
      'button',
      {
        type: 'button',
        class: 'twisty',
        'aria-expanded': String(expanded),
        'aria-controls': listId,
        'data-action': 'expandRepo',
        'data-key': r.path,
        title: r.path,
        onclick: () => {
          if (expanded) expandedRepos.delete(r.path);
          else expandedRepos.add(r.path);
          drawPlan();
        },
      },
      h('span', { class: 'chevron', 'aria-hidden': 'true' }, expanded ? '▾' : '▸'),
      h('span', { class: 'repo-name' }, r.name),
    ),
    h('span', { class: 'muted' }, plural(r.fileCount, 'file')),
    lineCounts(added, removed),
    r.headChanged ? h('span', { class: 'badge', title: 'HEAD or the branch moves back too' }, 'HEAD') : null,
    r.indexChanged ? h('span', { class: 'badge', title: 'The staged state is restored too' }, 'index') : null,
    r.drift.length ? h('span', { class: 'badge warning', title: `Changed since the last checkpoint: ${r.drift.join(', ')}` }, `${r.drift.length} drift`) : null,
    r.conflicts.length ? h('span', { class: 'badge error' }, plural(r.conflicts.length, 'conflict')) : null,
  );
  const notes = [
    ...r.conflicts.filter((c) => !c.path).map((c) => h('li', { class: 'error' }, c.reason)),
    ...r.drift.filter((d) => !files.some((f) => f.path === d)).map((d) => h('li', { class: 'warning' }, `drift: ${d}`)),
    ...r.notes.map((n) => h('li', { class: 'muted' }, n)),
  ];
  const list = h('ul', { id: listId, class: 'files', 'aria-label': `Files of ${r.name}`, hidden: !expanded });
  if (expanded) for (const f of files.filter(matches)) list.append(fileRow(r, f, included));
  return h('div', { class: `repo${included ? '' : ' excluded'}`, role: 'group', 'aria-label': r.name }, row, notes.length ? h('ul', { class: 'notes' }, ...notes) : null, list);
}

function fileRow(r: PreviewRepoView, f: PreviewFileView, repoIncluded: boolean): HTMLElement {
  const key = keyOf(r.path, f.path);
  const open = openDiffs.has(key);
  const diffId = `diff-${cssId(key)}`;
  const li = h(
    'li',
    { class: 'file', 'data-probe': 'file', 'data-label': `${r.name}/${f.path}` },
    h(
      'div',
      { class: 'file-row' },
      h('input', {
        type: 'checkbox',
        checked: !excludedFiles.has(key),
        disabled: !repoIncluded,
        'aria-label': `Include ${f.path}`,
        'data-action': 'toggleFile',
        'data-key': key,
        onchange: (e) => {
          if ((e.target as HTMLInputElement).checked) excludedFiles.delete(key);
          else excludedFiles.add(key);
          drawPlan();
          drawFooter();
        },
      }),
      h(
        'button',
        {
          type: 'button',
          class: 'path',
          'aria-expanded': String(open),
          'aria-controls': diffId,
          'data-action': 'toggleDiff',
          'data-key': key,
          title: open ? 'Hide the inverse diff' : 'Show the inverse diff',
          onclick: () => toggleDiff(key, r.path, f.path),
        },
        f.path,
      ),
      h('span', { class: `op op-${f.change}` }, f.change),
      lineCounts(f.added, f.removed, f.binary),
      f.drift ? h('span', { class: 'badge warning', title: 'Changed by someone other than the campaign since its last checkpoint' }, 'drift') : null,
      f.conflict ? h('span', { class: 'badge error', title: f.conflict }, 'conflict') : null,
      button('Open Diff', 'openDiff', () => post({ type: 'openDiff', repo: r.path, path: f.path }), { title: `Open ${f.path} in the diff editor (now ↔ after the rollback)`, key, secondary: true, small: true }),
    ),
    f.conflict ? h('p', { class: 'error conflict-reason' }, f.conflict) : null,
    h('div', { id: diffId, class: 'diff-host', hidden: !open }),
  );
  if (open) queueMicrotask(() => drawDiff(key));
  return li;
}

function toggleDiff(key: string, repo: string, path: string): void {
  if (openDiffs.has(key)) openDiffs.delete(key);
  else {
    openDiffs.set(key, 'loading');
    post({ type: 'loadDiff', repo, path });
  }
  const btn = document.querySelector<HTMLButtonElement>(`[data-action="toggleDiff"][data-key="${CSS.escape(key)}"]`);
  btn?.setAttribute('aria-expanded', String(openDiffs.has(key)));
  drawDiff(key);
}

function drawDiff(key: string): void {
  const host = document.getElementById(`diff-${cssId(key)}`);
  if (!host) return;
  const d = openDiffs.get(key);
  host.hidden = !d;
  if (!d) host.replaceChildren();
  else if (d === 'loading') host.replaceChildren(h('p', { class: 'muted' }, 'Loading the diff…'));
  else host.replaceChildren(renderDiff(d, layout, `Inverse diff of ${d.path}: removed lines are what is there now, added lines what the rollback writes`));
}

// ---------------------------------------------------------------------------------------------
// Footer: run, progress, result

function chosen(): { repos: string[]; files: Record<string, string[]>; fileCount: number } {
  const repos: string[] = [];
  const files: Record<string, string[]> = {};
  let fileCount = 0;
  for (const r of plan?.repos ?? []) {
    if (excludedRepos.has(r.path)) continue;
    const all = filesByRepo.get(r.path) ?? [];
    const ticked = all.filter((f) => !excludedFiles.has(keyOf(r.path, f.path)));
    if (all.length > 0 && ticked.length === 0) continue;
    repos.push(r.path);
    fileCount += ticked.length === all.length ? r.fileCount : ticked.length;
    if (ticked.length < all.length) files[r.path] = ticked.map((f) => f.path);
  }
  return { repos, files, fileCount };
}

function drawFooter(): void {
  if (!plan) return;
  const focus = focusedControl();
  renderFooter(plan);
  restoreFocus(focus);
}

function renderFooter(plan: PreviewState): void {
  const parts: (HTMLElement | null)[] = [];
  const c = chosen();
  const everything = c.repos.length === plan.repos.length && Object.keys(c.files).length === 0;
  const nothingToDo = plan.totals.files === 0 && plan.totals.reposChanged === 0;
  if (!run || result) {
    if (plan.totals.drift > 0 && plan.mode === 'restore') {
      parts.push(
        h(
          'label',
          { class: 'check' },
          h('input', { type: 'checkbox', checked: force, 'data-action': 'force', onchange: (e) => (force = (e.target as HTMLInputElement).checked) }),
          ' Overwrite drifted files (the safety snapshot keeps them)',
        ),
      );
    }
    parts.push(
      h(
        'label',
        { class: 'check-command' },
        'Check after each repo commits (optional, no shell): ',
        h('input', {
          type: 'text',
          value: checkCommand,
          placeholder: 'npm test --silent',
          'data-action': 'checkCommand',
          'aria-label': 'Check command run in each repo right after it commits; a failure puts every repo back',
          oninput: (e) => (checkCommand = (e.target as HTMLInputElement).value),
        }),
      ),
    );
    const label = everything ? `Roll Back ${plural(c.fileCount, 'File')} in ${plural(c.repos.length, 'Repo')}` : `Roll Back the Chosen ${plural(c.fileCount, 'File')} in ${plural(c.repos.length, 'Repo')}`;
    const runButton = button(label, 'run', () => post({ type: 'run', selection: everything ? {} : { repos: c.repos, files: c.files }, force, ...(checkCommand.trim() ? { check: checkCommand.trim() } : {}) }), {
      disabled: busy || c.repos.length === 0 || nothingToDo || (!!result && result.kind === 'rollback' && result.outcome === 'committed') || !!(result && result.kind === 'undo'),
      title: 'Run this plan as one transaction: all repos roll back, or none do',
    });
    parts.push(h('div', { class: 'buttons' }, runButton));
  }
  if (run) {
    parts.push(progressTable(run));
    if (!result) {
      parts.push(
        h(
          'div',
          { class: 'buttons' },
          button('Cancel', 'cancel', () => post({ type: 'cancel' }), { secondary: true, disabled: run.committing, title: run.committing ? 'The commit phase has begun: the transaction finishes' : 'Stop before anything changes' }),
        ),
      );
    }
  }
  parts.push(statusLine);
  if (result) {
    parts.push(
      h(
        'div',
        { class: 'buttons' },
        result.hasEvidence ? button('Open Evidence', 'openEvidence', () => post({ type: 'openEvidence' }), { secondary: true }) : null,
        result.canUndo ? button('Undo', 'undo', () => post({ type: 'undo' }), { secondary: true, title: 'Return every repo to its safety snapshot (its own transaction)' }) : null,
        button('Preview Again', 'refresh', () => replan(), { secondary: true, title: 'Plan again from the repos as they are now' }),
      ),
    );
  }
  footer.replaceChildren(...parts.filter((p): p is HTMLElement => !!p));
}

function onProgress(phase: string, done: number, repo: string | undefined, message: string | undefined): void {
  if (!run) return;
  if (phase === 'commit') run.committing = true;
  if ((phases as readonly string[]).includes(phase)) {
    for (const [r, cells] of run.cells) {
      if (repo === r) cells[phase] = 'done';
      else if (done === 0 || cells[phase] === 'waiting') cells[phase] = cells[phase] === 'done' ? 'done' : 'active';
    }
  }
  setStatus(`${run.kind === 'undo' ? 'Undo' : 'Rollback'}: ${message ?? phase}`);
  drawFooter();
}

const cellText: Record<Cell, string> = { waiting: '·', active: '…', done: '✓', failed: '✗' };

function progressTable(r: NonNullable<typeof run>): HTMLElement {
  return h(
    'table',
    { class: 'progress', 'aria-label': r.kind === 'undo' ? 'Undo progress per repo' : 'Rollback progress per repo' },
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Repo'), ...phases.map((p) => h('th', { scope: 'col' }, p)))),
    h(
      'tbody',
      {},
      ...r.repos.map((repo) => {
        const cells = r.cells.get(repo)!;
        return h(
          'tr',
          {},
          h('th', { scope: 'row' }, names.get(repo) ?? repo),
          ...phases.map((p) => h('td', { class: `cell ${cells[p]}`, 'aria-label': `${p} ${cells[p]}` }, cellText[cells[p]])),
        );
      }),
    ),
  );
}
