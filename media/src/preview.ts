// The "Rollback preview" page: the plan by wave and repo, each file's inverse diff, the user's choice of
// repos and files, then the run with per-repo progress and its result. All data comes from the
// extension (PreviewToWebview); every user action goes back as a PreviewFromWebview.
import type {
  PreviewEditView,
  PreviewFileView,
  PreviewFromWebview,
  PreviewRepoView,
  PreviewState,
  PreviewToWebview,
  RenderedSnapshot,
  RunResultView,
} from '../../client/src/webviews/messages';
import { OpenDiffs, button, channel, count, cssId, drawDiffHost, h, lineCounts, plural, pressAction, renderDiff, snapshotOf, toggleOpenDiff } from './ui';

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
/** Repos left out through a conflict's way out ("Leave … Out"): the run says so, and the evidence records `conflict`. */
const conflictLeftOut = new Set<string>();
const excludedFiles = new Set<string>();
const expandedRepos = new Set<string>();
const openDiffs: OpenDiffs = new Map();
let filter = '';
let show: Show = 'all';
let layout: Layout = 'inline';
let force = false;
/** The rolling check the user typed: run in each repo right after it commits (empty: each repo's own, if any). */
let checkCommand = '';
/**
 * The run bar folded to its buttons and status line, so a short window keeps its height for the plan
 * (issue 25: at 1440×757 the bar left about 300 px). What must be answered before Run (the user's
 * edits) stays shown folded or not.
 */
let footerFolded = false;

let status = '';
let busy = true;
/** Set when the repos changed since the plan shown: the server would refuse it; a new plan is coming. */
let stale: string | undefined;
/** The control of the plan that Tab reaches (roving tabindex): its row key and its place in the row. */
let roving: { row: string; col: number } | undefined;
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
      // the repos planned so far draw only over nothing or over earlier ones: a whole plan on the page stays until the new one replaces it
      if (m.state.planning && plan && !plan.planning) return;
      busy = !!m.state.planning;
      run = undefined;
      result = undefined;
      stale = undefined;
      setPlan(m.state);
      return;
    case 'stale':
      stale = m.message;
      setStatus(m.message);
      drawFooter();
      return;
    case 'blocked':
      busy = false;
      plan = undefined;
      stale = undefined;
      setStatus(`Nothing planned: ${m.name} blocks the plan.`);
      app.replaceChildren(
        h('h1', {}, 'Rollback preview'),
        h(
          'div',
          { class: 'alert error', role: 'alert', 'data-probe': 'alert' },
          h('p', {}, `${m.name} cannot be rolled back as it is now: ${m.message}.`),
          h(
            'p',
            {},
            `Leave ${m.name} out to plan the other repos, or finish or abort what is in progress there: ` +
              `this page plans again by itself when ${m.name} changes.`,
          ),
        ),
        h(
          'div',
          { class: 'buttons' },
          button(`Leave ${m.name} Out`, 'leaveOut', () => post({ type: 'leaveOut', repo: m.repo }), { key: m.repo }),
          button('Try Again', 'refresh', () => replan(), { secondary: true }),
        ),
        statusLine,
      );
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
      run = {
        kind: m.kind,
        repos: m.repos,
        cells: new Map(m.repos.map((r) => [r, { prepare: 'waiting', commit: 'waiting', verify: 'waiting' }])),
        committing: false,
      };
      setStatus(m.kind === 'undo' ? 'Undoing the rollback…' : 'Rolling back…');
      drawFooter();
      return;
    case 'progress':
      onProgress(m.phase, m.done, m.repo, m.message);
      return;
    case 'result':
      busy = false;
      result = m.result;
      // the result replaces the plan it ran: the plan above would no longer say what the repos hold
      if (m.result.outcome === 'committed') {
        planSection.replaceChildren(
          h('p', { class: 'muted', 'data-probe': 'ran' }, 'This plan ran: its result is below. Refresh plans again from the repos as they are now.'),
        );
      }
      if (run)
        for (const cells of run.cells.values())
          for (const p of phases) if (cells[p] === 'active') cells[p] = m.result.outcome === 'committed' ? 'done' : 'failed';
      setStatus(m.result.message);
      drawFooter();
      return;
    case 'error':
      busy = false;
      // the repos planned so far of a plan that failed are no plan
      if (plan?.planning) plan = undefined;
      setStatus(`Error: ${m.message}`);
      if (!plan)
        app.replaceChildren(
          h('h1', {}, 'Rollback preview'),
          statusLine,
          button('Try Again', 'refresh', () => replan()),
        );
      drawFooter();
      return;
    case 'probe':
      post({ type: 'rendered', id: m.id, snapshot: { ...snapshotOf(app), ...probeExtras() } });
      return;
    case 'press':
      // the toolbar's selects, as a user changes them (a click cannot pick an option)
      if (m.action === 'focusRow') focusRow(m.key);
      else if (m.action.startsWith('layout:')) setLayout(m.action.slice(7) as Layout);
      else if (m.action.startsWith('mode:')) replan(m.action.slice(5) as 'restore' | 'replay');
      else pressAction(app, m.action, m.key);
      return;
  }
}

/** " Since the last plan: app/index.js changed, lib/x.ts new." — what a re-plan of the same target changed, by file. */
function whatChanged(before: PreviewState, after: PreviewState): string {
  const sig = (f: PreviewFileView) => `${f.change}:${f.added}:${f.removed}:${f.drift}:${f.conflict ?? ''}`;
  const old = new Map(before.files.map((f) => [keyOf(f.repo, f.path), sig(f)]));
  const now = new Map(after.files.map((f) => [keyOf(f.repo, f.path), sig(f)]));
  const name = (k: string) => {
    const [repo, p] = k.split('\n');
    return `${names.get(repo) ?? repo}/${p}`;
  };
  const parts = [
    ...[...now.keys()].filter((k) => !old.has(k)).map((k) => `${name(k)} new`),
    ...[...old.keys()].filter((k) => !now.has(k)).map((k) => `${name(k)} gone`),
    ...[...now.keys()].filter((k) => old.has(k) && old.get(k) !== now.get(k)).map((k) => `${name(k)} changed`),
  ];
  if (!parts.length) return '';
  return ` Since the last plan: ${parts.slice(0, 4).join(', ')}${parts.length > 4 ? ` and ${parts.length - 4} more` : ''}.`;
}

/** The last statuses shown, for the tests: a passing one (a stale plan's) is read after it is gone. */
const statusLog: string[] = [];

function setStatus(text: string): void {
  status = text;
  statusLog.push(text);
  if (statusLog.length > 40) statusLog.shift();
  statusLine.textContent = status;
}

function setPlan(state: PreviewState): void {
  const before = plan;
  // the repos planned so far, then the whole plan: one plan arriving, not a change to tell
  const arriving = !!before?.planning;
  const samePlan = before?.planHash === state.planHash;
  const sameTarget = !!before && before.targetLabel === state.targetLabel;
  plan = state;
  filesByRepo = new Map(state.repos.map((r) => [r.path, []]));
  for (const f of state.files) filesByRepo.get(f.repo)?.push(f);
  names = new Map(state.repos.map((r) => [r.path, r.name]));
  let changes = '';
  if (!samePlan) {
    const keys = new Set(state.files.map((f) => keyOf(f.repo, f.path)));
    if (sameTarget) {
      // a re-plan of the same target (an edit on disk, a mode switch): what the user had open and chose stays, where it still is
      for (const k of [...excludedFiles]) if (!keys.has(k)) excludedFiles.delete(k);
      for (const set of [excludedRepos, expandedRepos, conflictLeftOut]) for (const r of [...set]) if (!filesByRepo.has(r)) set.delete(r);
      for (const k of [...openDiffs.keys()]) {
        openDiffs.delete(k);
        const f = state.files.find((x) => keyOf(x.repo, x.path) === k);
        if (f) toggleDiff(k, f.repo, f.path); // opened again: its inverse diff may have changed
      }
      if (!arriving) changes = whatChanged(before, state);
    } else {
      for (const set of [excludedRepos, excludedFiles, expandedRepos, conflictLeftOut]) set.clear();
      openDiffs.clear();
    }
  }
  // a small plan opens with every repo unfolded: known once the whole plan is in (the repos planned so far come folded)
  if (!state.planning && (!sameTarget || arriving) && state.totals.files <= 300) for (const r of state.repos) expandedRepos.add(r.path);
  const t = state.totals;
  setStatus(
    state.planning
      ? `Planning: ${count(state.planning.planned)} of ${plural(state.planning.total, 'repo')} so far, the first wave first. ` +
          `${plural(t.files, 'file')} in ${plural(t.reposChanged, 'repo')} so far; nothing can run until the whole plan is ready.`
      : t.files === 0 && t.reposChanged === 0
        ? `Nothing to roll back: every repo is already at ${state.targetLabel}.`
        : `Plan ready: ${plural(t.files, 'file')} in ${plural(t.reposChanged, 'repo')} ${t.files === 1 ? 'changes' : 'change'}.` +
          `${changes} Nothing has changed yet.`,
  );
  drawHeader();
  drawPlan();
  drawFooter();
  app.replaceChildren(header, planSection, footer);
  app.setAttribute('aria-busy', String(!!state.planning));
}

function replan(mode?: 'restore' | 'replay'): void {
  post({ type: 'replan', ...(mode ? { mode } : {}) });
}

// ---------------------------------------------------------------------------------------------
// Header: what the plan is, and the filters

/**
 * The header's one line of counts, from the same selection the run button and the status line count
 * (issue 25, item 6): the edits the chosen files would lose, and how many files are chosen of the plan's.
 */
function summaryLine(plan: PreviewState): HTMLElement {
  const t = plan.totals;
  const c = chosen();
  const edits = plan.mode === 'replay' ? plan.repos.reduce((n, r) => n + editsActedOn(r).length, 0) : chosenDrift().length;
  const partial = c.fileCount < t.files;
  return h(
    'p',
    { class: 'summary' },
    `${plan.mode} mode · ${plural(t.reposChanged, 'repo')} ${t.reposChanged === 1 ? 'changes' : 'change'}` +
      `${t.repos > t.reposChanged ? ` (${t.repos - t.reposChanged} already at the target)` : ''} · ` +
      `${partial ? `${c.fileCount} of ${plural(t.files, 'file')} chosen` : plural(t.files, 'file')} `,
    lineCounts(t.added, t.removed),
    edits
      ? h(
          'span',
          { class: 'badge warning', 'data-probe': 'drift', title: 'Edited by someone other than the campaign since its last checkpoint' },
          `${plural(edits, 'edit')} of yours, ${plan.mode === 'replay' ? 'kept' : 'will be lost'}`,
        )
      : null,
    t.conflicts ? h('span', { class: 'badge error' }, plural(t.conflicts, 'conflict')) : null,
    plan.planning
      ? h('span', { class: 'muted', 'data-probe': 'planning' }, ` · planning: ${count(plan.planning.planned)} of ${plural(plan.planning.total, 'repo')}`)
      : h('span', { class: 'muted' }, ` · plan ${plan.planHash.slice(0, 12)}`),
  );
}

function drawHeader(): void {
  if (!plan) return;
  const summary = summaryLine(plan);
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
      h(
        'select',
        { 'aria-label': label, onchange: (e) => onchange((e.target as HTMLSelectElement).value as T) },
        ...options.map(([v, text]) => h('option', { value: v, selected: v === value }, text)),
      ),
    );
  header.replaceChildren(
    h('h1', {}, plan.heading ?? `Roll back to ${plan.targetLabel}`),
    summary,
    ...(plan.excluded.length
      ? [
          h(
            'p',
            { class: 'warning excluded-note' },
            `Left out because ${plan.excluded.length === 1 ? 'it blocks' : 'they block'} the plan: ${plan.excluded.join(', ')}. `,
            button('Include Again', 'includeAgain', () => post({ type: 'includeAgain' }), { secondary: true, small: true }),
          ),
        ]
      : []),
    h(
      'div',
      { class: 'toolbar', role: 'toolbar', 'aria-label': 'Plan filters' },
      filterBox,
      select(
        'Show',
        show,
        [
          ['all', 'All files'],
          ['drift', 'Your edits (drift)'],
          ['conflicts', 'Conflicts'],
        ],
        (v) => {
          show = v;
          drawPlan();
        },
      ),
      select(
        'Diff',
        layout,
        [
          ['inline', 'Inline'],
          ['split', 'Side by side'],
        ],
        setLayout,
      ),
      select(
        'Mode',
        plan.mode,
        [
          ['restore', 'Restore'],
          ['replay', 'Replay'],
        ],
        (v) => replan(v),
      ),
      button('Tick Shown', 'tickShown', () => tickShown(true), { secondary: true, title: 'Include every file the filter shows' }),
      button('Untick Shown', 'untickShown', () => tickShown(false), { secondary: true, title: 'Leave out every file the filter shows' }),
      button('Refresh', 'refresh', () => replan(), { secondary: true, title: 'Plan again from the repos as they are now' }),
    ),
  );
}

function setLayout(v: Layout): void {
  layout = v;
  for (const k of openDiffs.keys()) drawDiff(k);
  const box = header.querySelector<HTMLSelectElement>('select[aria-label="Diff"]');
  if (box) box.value = v;
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

/** A repo with nothing to do (the server's `changed`) and nothing to resolve. */
function unchanged(r: PreviewRepoView): boolean {
  return !r.changed && r.conflicts.length === 0;
}

function renderPlan(plan: PreviewState): void {
  const byPath = new Map(plan.repos.map((r) => [r.path, r]));
  const parts: HTMLElement[] = [];
  if (plan.cycles.length)
    parts.push(
      h(
        'p',
        { class: 'warning' },
        `Dependency cycles (rolled back together): ${plan.cycles.map((c) => c.map((r) => names.get(r) ?? r).join(' ↔ ')).join('; ')}`,
      ),
    );
  // waves keep the engine's numbers (from 1), as the CLI and the Rollbacks tree show them; a wave of
  // repos with nothing to change is folded away with them, not renumbered
  plan.waves.forEach((wave, i) => {
    const repos = wave.map((p) => byPath.get(p)).filter((r): r is PreviewRepoView => !!r && !unchanged(r) && repoVisible(r));
    if (!repos.length) return;
    const waveLabel = plan.waves.length > 1 ? `Wave ${count(i + 1)} of ${count(plan.waves.length)}` : 'Repos';
    const first = 'Repos that depend on others go first, before what they depend on.';
    const why = plan.waves.length > 1 ? (i === 0 ? first : 'After the repos that depend on these.') : undefined;
    parts.push(
      h(
        'section',
        { class: 'wave', 'aria-label': waveLabel },
        h('h2', { 'data-probe': 'wave' }, waveLabel, why ? h('span', { class: 'wave-why' }, ` — ${why}`) : null),
        ...repos.map(repoBlock),
      ),
    );
  });
  const idle = plan.repos.filter(unchanged);
  if (idle.length && !filter && show === 'all') {
    parts.push(
      h(
        'details',
        { class: 'idle' },
        h('summary', {}, `${plural(idle.length, 'repo')} already at the target: nothing to change`),
        h('p', { class: 'muted' }, idle.map((r) => r.name).join(', ')),
      ),
    );
  }
  // a repo already back here can still have the campaign on its remotes: that is not folded away
  const idleOnRemotes = idle.filter((r) => r.remotes.length);
  if (idleOnRemotes.length && !filter && show === 'all') parts.push(...idleOnRemotes.map((r) => remotesBlock(r, true)));
  if (!parts.length) parts.push(h('p', { class: 'muted' }, plan.files.length ? 'No file matches the filter.' : 'No file changes.'));
  if (plan.filesTruncated)
    parts.push(
      h(
        'p',
        { class: 'muted' },
        `Only the first ${count(plan.files.length)} of ${plural(plan.totals.files, 'file')} are listed; the rollback covers all of them.`,
      ),
    );
  planSection.replaceChildren(...parts);
  applyRoving();
}

function repoVisible(r: PreviewRepoView): boolean {
  if (!filter && show === 'all') return true;
  return (filesByRepo.get(r.path) ?? []).some(matches) || (show === 'all' && !!filter && r.name.toLowerCase().includes(filter));
}

/** Why a repo is in its wave, in words: "express depends on accepts, router" / "router waits for express". */
function whyInWave(r: PreviewRepoView): string | undefined {
  const parts: string[] = [];
  if (r.dependsOn.length) parts.push(`${r.name} depends on ${r.dependsOn.join(', ')}, so it is rolled back first`);
  if (r.after.length) parts.push(`${r.name} waits for ${r.after.join(', ')}, which ${r.after.length === 1 ? 'depends' : 'depend'} on it`);
  return parts.length ? `${parts.join('; ')}.` : undefined;
}

/** The user's edits the plan acts on (drifted files it changes, a moved HEAD or changed index), by the server's words. */
function editsActedOn(r: PreviewRepoView): string[] {
  return r.edits.map((e) => e.label);
}

/** A drifted file's mark: what happens to the user's edit in this mode (a file left out keeps it). */
function driftWords(leftOut = false): string {
  return plan?.mode === 'replay' ? 'your edit, kept' : leftOut ? 'your edit, kept (left out)' : 'your edit, will be lost';
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
  const why = whyInWave(r);
  const row = h(
    'div',
    { class: 'repo-row', 'data-probe': 'repo', 'data-label': r.name, 'data-row': r.path },
    box,
    h(
      'button',
      {
        type: 'button',
        class: 'twisty',
        'aria-expanded': String(expanded),
        'aria-controls': listId,
        'aria-label': `${r.name}: ${expanded ? 'hide' : 'show'} its ${plural(r.fileCount, 'file')}`,
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
    editsActedOn(r).length
      ? h(
          'span',
          { class: 'badge warning', 'data-probe': 'drift', title: `Edited since the campaign's last checkpoint: ${editsActedOn(r).join(', ')}` },
          `${plural(editsActedOn(r).length, 'edit')} of yours`,
        )
      : null,
    r.conflicts.length ? h('span', { class: 'badge error' }, plural(r.conflicts.length, 'conflict')) : null,
    r.remotes.length
      ? (r.pushes ?? []).length
        ? h('span', { class: 'badge', title: 'This run rolls back what the campaign pushed to its remotes too (below)' }, 'remotes too')
        : h('span', { class: 'badge warning', title: 'What of the campaign its remotes hold (below): this rollback does not change them' }, 'remotes')
      : null,
  );
  const notes = [
    // every conflict under its repo, with its file and hunk: a replay conflict has no file row (nothing moves there)
    ...r.conflicts
      .filter((c) => !c.path || !files.some((f) => f.path === c.path))
      .map((c) =>
        h(
          'li',
          { class: 'error', 'data-probe': 'conflict' },
          c.path ? h('code', {}, c.path) : null,
          c.path ? ': ' : '',
          c.reason,
          c.hunk ? h('pre', { class: 'hunk' }, c.hunk) : null,
        ),
      ),
    // the index, HEAD, and a drifted file beyond the files listed: their marks are not on a file row
    ...r.edits
      .filter((e) => e.path === undefined || !files.some((f) => f.path === e.path))
      .map((e) => h('li', { class: 'warning', 'data-probe': 'drift' }, `${e.label}: ${driftWords()}`)),
    ...r.notes.map((n) => h('li', { class: 'muted' }, n)),
  ];
  const list = h('ul', { id: listId, class: 'files', 'aria-label': `Files of ${r.name}`, hidden: !expanded });
  if (expanded) for (const f of files.filter(matches)) list.append(fileRow(r, f, included));
  return h(
    'div',
    { class: `repo${included ? '' : ' excluded'}`, role: 'group', 'aria-label': r.name },
    row,
    why ? h('p', { class: 'why muted', 'data-probe': 'why' }, why) : null,
    notes.length ? h('ul', { class: 'notes' }, ...notes) : null,
    r.remotes.length ? remotesBlock(r, false) : null,
    list,
  );
}

/**
 * What of the campaign the repo's remotes still hold, in the server's words, and the choice to roll
 * it back there too (one box per remote): a chosen remote is planned again, and what it will be
 * pushed is listed, in the server's words, where the local-only facts were.
 */
function remotesBlock(r: PreviewRepoView, named: boolean): HTMLElement {
  const title = named ? `${r.name} on its remotes` : 'On the remotes';
  const choices = r.remoteChoices ?? [];
  const anyChosen = plan?.repos.some((x) => (x.remoteChoices ?? []).some((c) => c.chosen)) ?? false;
  const boxes = choices.map((c) =>
    h(
      'label',
      { class: 'check' },
      h('input', {
        type: 'checkbox',
        checked: c.chosen,
        'data-action': 'chooseRemote',
        'data-key': `${r.path}\n${c.remote}`,
        'aria-label': `Also roll back what the campaign pushed to ${c.remote} (${r.name})`,
        onchange: (e) => post({ type: 'chooseRemote', repo: r.path, remote: c.remote, chosen: (e.target as HTMLInputElement).checked }),
      }),
      ` Also roll back what the campaign pushed to ${c.remote}`,
    ),
  );
  const pushes = r.pushes ?? [];
  return h(
    'div',
    { class: 'remotes', role: 'group', 'aria-label': `${r.name} on its remotes`, 'data-probe': 'remotes', 'data-label': r.name },
    h('p', { class: 'remotes-title' }, title),
    // the facts a local rollback leaves, unless this run pushes: then what it pushes says it
    pushes.length ? null : h('ul', {}, ...r.remotes.map((line) => h('li', {}, line))),
    pushes.length
      ? h(
          'div',
          {},
          h('p', { class: 'remotes-title' }, 'This run pushes (each update leased on what the remote holds now; all of a remote in one atomic push):'),
          h('ul', { 'data-probe': 'pushes', 'data-label': r.name }, ...pushes.map((line) => h('li', {}, line))),
        )
      : null,
    boxes.length ? h('div', { class: 'buttons' }, ...boxes) : null,
    anyChosen && choices.some((c) => c.chosen)
      ? h(
          'label',
          { class: 'check' },
          h('input', {
            type: 'checkbox',
            checked: plan?.rewrite ?? false,
            'data-action': 'rewrite',
            'data-key': r.path,
            'aria-label': 'Reset advanced branches to where the campaign found them (rewrites history) instead of revert commits',
            onchange: (e) => post({ type: 'rewrite', on: (e.target as HTMLInputElement).checked }),
          }),
          ' Reset advanced branches instead of adding revert commits (rewrites history on the remote)',
        )
      : null,
  );
}

function fileRow(r: PreviewRepoView, f: PreviewFileView, repoIncluded: boolean): HTMLElement {
  const key = keyOf(r.path, f.path);
  const open = openDiffs.has(key);
  const diffId = `diff-${cssId(key)}`;
  const full = `${r.name}/${f.path}`;
  const li = h(
    'li',
    { class: `file${f.drift ? ' drifted' : ''}`, 'data-probe': 'file', 'data-label': full },
    h(
      'div',
      { class: 'file-row', 'data-row': key },
      h('input', {
        type: 'checkbox',
        checked: !excludedFiles.has(key),
        disabled: !repoIncluded,
        'aria-label': `Include ${f.path} of ${r.name}`,
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
          'aria-label': `${f.path} of ${r.name}: ${open ? 'hide' : 'show'} the inverse diff${f.drift ? ` (${driftWords()})` : ''}`,
          'data-action': 'toggleDiff',
          'data-key': key,
          title: open ? 'Hide the inverse diff' : 'Show the inverse diff',
          onclick: () => toggleDiff(key, r.path, f.path),
        },
        f.path,
      ),
      h('span', { class: `op op-${f.change}` }, f.change),
      lineCounts(f.added, f.removed, f.binary),
      f.drift
        ? h(
            'span',
            { class: 'badge warning', 'data-probe': 'drift', title: 'Edited by someone other than the campaign since its checkpoint' },
            driftWords(!repoIncluded || excludedFiles.has(key)),
          )
        : null,
      f.conflict ? h('span', { class: 'badge error', title: f.conflict }, 'conflict') : null,
      h(
        'button',
        {
          type: 'button',
          class: 'secondary small',
          'data-action': 'openDiff',
          'data-key': key,
          'aria-label': `Open ${f.path} of ${r.name} in the diff editor`,
          title: `Open ${f.path} in the diff editor (now ↔ after the rollback)`,
          onclick: () => post({ type: 'openDiff', repo: r.path, path: f.path }),
        },
        'Open Diff',
      ),
    ),
    f.conflict ? h('p', { class: 'error conflict-reason' }, f.conflict) : null,
    h('div', { id: diffId, class: 'diff-host', hidden: !open }),
  );
  if (open) queueMicrotask(() => drawDiff(key));
  return li;
}

// ---------------------------------------------------------------------------------------------
// Keyboard: the plan is one tab stop; arrows move between rows (Up / Down) and within a row (Left / Right)

function rows(): HTMLElement[] {
  return [...planSection.querySelectorAll<HTMLElement>('[data-row]')].filter((r) => !r.closest('[hidden]'));
}

function controlsOf(row: HTMLElement): HTMLElement[] {
  return [...row.querySelectorAll<HTMLElement>('input, button')].filter((c) => !(c as HTMLInputElement).disabled);
}

/** Gives Tab exactly one control of the plan: the roving one (or the first row's first control). */
function applyRoving(): void {
  const all = rows();
  for (const row of all) for (const c of row.querySelectorAll<HTMLElement>('input, button')) c.tabIndex = -1;
  const row = all.find((r) => r.dataset.row === roving?.row) ?? all[0];
  if (!row) return;
  const controls = controlsOf(row);
  const target = controls[Math.min(roving && roving.row === row.dataset.row ? roving.col : 0, controls.length - 1)];
  if (target) target.tabIndex = 0;
}

function moveTo(row: HTMLElement, col: number): void {
  const controls = controlsOf(row);
  if (!controls.length) return;
  const c = Math.max(0, Math.min(col, controls.length - 1));
  roving = { row: row.dataset.row!, col: c };
  applyRoving();
  controls[c].focus();
}

planSection.addEventListener('focusin', (e) => {
  const el = e.target as HTMLElement;
  const row = el.closest<HTMLElement>('[data-row]');
  if (!row) return;
  const col = controlsOf(row).indexOf(el);
  if (col < 0 || (roving && roving.row === row.dataset.row && roving.col === col)) return;
  roving = { row: row.dataset.row!, col };
  applyRoving();
});

planSection.addEventListener('keydown', (e) => {
  const el = e.target as HTMLElement;
  const row = el.closest<HTMLElement>('[data-row]');
  if (!row) return;
  const all = rows();
  const at = all.indexOf(row);
  const col = Math.max(0, controlsOf(row).indexOf(el));
  const go: Record<string, () => void> = {
    ArrowDown: () => at + 1 < all.length && moveTo(all[at + 1], col),
    ArrowUp: () => at > 0 && moveTo(all[at - 1], col),
    ArrowRight: () => moveTo(row, col + 1),
    ArrowLeft: () => moveTo(row, col - 1),
    Home: () => moveTo(all[0], col),
    End: () => moveTo(all[all.length - 1], col),
  };
  const f = go[e.key];
  if (!f) return;
  e.preventDefault();
  f();
});

/** Test hook: focus a row's first control (or the roving one), as Tab into the plan does. */
function focusRow(key: string | undefined): void {
  const row = rows().find((r) => key === undefined || r.dataset.row === key);
  if (row) moveTo(row, roving && roving.row === row.dataset.row ? roving.col : 0);
}

function toggleDiff(key: string, repo: string, path: string): void {
  toggleOpenDiff(openDiffs, document, key, () => post({ type: 'loadDiff', repo, path }));
  drawDiff(key);
}

function drawDiff(key: string): void {
  drawDiffHost(key, openDiffs.get(key), (d) => {
    const drawn = renderDiff(d, layout, `Inverse diff of ${d.path}: removed lines are what is there now, added lines what the rollback writes`);
    if (d.driftLines?.length) markDrift(drawn, new Set(d.driftLines));
    return drawn;
  });
}

/**
 * Marks the lines of a drawn diff that the user wrote after the campaign (by their number in the
 * file as it is now: the diff's old side), and the hunks holding them. Restore removes them
 * ("will be lost"); replay keeps them (they show as unchanged lines, "kept").
 */
function markDrift(drawn: HTMLElement, lines: ReadonlySet<number>): void {
  const words = driftWords();
  let hunk: HTMLTableRowElement | undefined;
  let hunkMarked = false;
  let previousMarked = false;
  for (const tr of drawn.querySelectorAll<HTMLTableRowElement>('tbody tr')) {
    if (tr.classList.contains('hunk')) {
      hunk = tr;
      hunkMarked = false;
      previousMarked = false;
      continue;
    }
    // inline: the first cell is the old line number; side by side: the left half is the old side
    const oldCell = tr.querySelector<HTMLTableCellElement>('td.ln');
    const kind = layout === 'inline' ? tr.className : oldCell?.classList.contains('del') ? 'del' : oldCell?.classList.contains('context') ? 'context' : '';
    const n = Number(oldCell?.textContent);
    const mine = (kind === 'del' || kind === 'context') && Number.isInteger(n) && n > 0 && lines.has(n);
    if (!mine) {
      previousMarked = false;
      continue;
    }
    tr.classList.add('drift');
    const code = layout === 'inline' ? tr.querySelector('td.code') : tr.querySelectorAll('td.code')[0];
    code?.classList.add('drift-cell');
    code?.setAttribute('aria-label', `${words}: ${code.textContent ?? ''}`);
    if (!previousMarked) code?.prepend(h('span', { class: 'drift-tag', 'data-probe': 'drift', 'aria-hidden': 'true' }, words));
    previousMarked = true;
    if (hunk && !hunkMarked) {
      hunk.classList.add('drift');
      const note = kind === 'del' ? 'holds your edits: they will be lost' : 'holds your edits: kept';
      hunk.querySelector('td')?.append(h('span', { class: 'drift-tag', 'data-probe': 'drift' }, note));
      hunkMarked = true;
    }
  }
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
    if (unchanged(r)) continue; // nothing to do there: not counted, not run
    repos.push(r.path);
    fileCount += ticked.length === all.length ? r.fileCount : ticked.length;
    if (ticked.length < all.length) files[r.path] = ticked.map((f) => f.path);
  }
  return { repos, files, fileCount };
}

/**
 * The user's edits the chosen repos and files would overwrite, as `repo/path` (a file) or `repo (…)`:
 * each edit's `lostWith`, from the server, looked up in the selection. Replay overwrites none.
 */
function chosenDrift(): { label: string; repo: string; path?: string }[] {
  if (!plan) return [];
  const c = chosen();
  const out: { label: string; repo: string; path?: string }[] = [];
  for (const r of plan.repos) {
    if (!c.repos.includes(r.path)) continue;
    for (const e of r.edits) {
      if (!lostBy(c, r.path, e.lostWith)) continue;
      out.push({ label: e.path !== undefined ? `${r.name}/${e.label}` : `${r.name} ${e.label}`, repo: r.path, path: e.path });
    }
  }
  return out;
}

function lostBy(c: ReturnType<typeof chosen>, repo: string, lostWith: PreviewEditView['lostWith']): boolean {
  if (lostWith === 'never') return false;
  if (lostWith === 'anyOfRepo') return true;
  if (lostWith === 'wholeRepo') return !c.files[repo];
  return !excludedFiles.has(keyOf(repo, lostWith.file));
}

/**
 * The server refuses any drift without force, and the chosen part of a repo is planned again for the
 * run: when what is chosen overwrites none of the user's edits, the run says so with force.
 */
function untouchedDriftOnly(): boolean {
  const at = (r: string) => plan?.repos.find((x) => x.path === r)?.edits.some((e) => e.lostWith !== 'never') ?? false;
  return chosenDrift().length === 0 && chosen().repos.some(at);
}

function drawFooter(): void {
  if (!plan) return;
  header.querySelector('p.summary')?.replaceWith(summaryLine(plan));
  const focus = focusedControl();
  renderFooter(plan);
  restoreFocus(focus);
}

function renderFooter(plan: PreviewState): void {
  const parts: (HTMLElement | null)[] = [];
  const c = chosen();
  const changing = plan.repos.filter((r) => !unchanged(r));
  const idleLeftOut = plan.repos.some((r) => unchanged(r) && excludedRepos.has(r.path));
  const everything = c.repos.length === changing.length && Object.keys(c.files).length === 0 && !idleLeftOut;
  const nothingToDo = plan.totals.files === 0 && plan.totals.reposChanged === 0;
  const drift = chosenDrift();
  if (drift.length === 0) force = false;
  const unresolved = drift.length > 0 && !force;
  // a conflict in a chosen repo: the run would be refused, so it is not offered; the ways out are
  const conflicted = plan.repos.filter((r) => r.conflicts.length && c.repos.includes(r.path));
  const conflicts = conflicted.reduce((n, r) => n + r.conflicts.length, 0);
  if (!run || result) {
    const staleWords = `${stale} This plan would be refused as stale: Run waits for the new one.`;
    if (stale) parts.push(h('p', { class: 'alert warning', role: 'alert', 'data-probe': 'alert' }, staleWords));
    if (conflicts) {
      parts.push(
        h(
          'div',
          { class: 'alert warning conflict-choice', role: 'alert', 'aria-label': 'Conflicts' },
          h(
            'p',
            { 'data-probe': 'alert' },
            `${plural(conflicts, 'conflict')} in ${conflicted.map((r) => r.name).join(', ')} ` +
              `(listed under ${conflicted.length === 1 ? 'its repo' : 'each repo'}): ` +
              'the run would be refused. Leave the repo out, or switch to Restore (your edits are named before anything is overwritten):',
          ),
          h(
            'div',
            { class: 'buttons' },
            ...conflicted.map((r) =>
              button(
                `Leave ${r.name} Out`,
                'leaveOutConflict',
                () => {
                  excludedRepos.add(r.path);
                  conflictLeftOut.add(r.path);
                  drawPlan();
                  drawFooter();
                },
                { secondary: true, title: `Untick ${r.name}`, key: r.path },
              ),
            ),
            plan.mode === 'replay' ? button('Switch to Restore', 'restore', () => replan('restore'), { secondary: true }) : null,
          ),
        ),
      );
    }
    if (drift.length) {
      const files = drift.filter((d) => d.path !== undefined);
      parts.push(
        h(
          'div',
          { class: `alert drift-choice${unresolved ? ' warning' : ''}`, role: unresolved ? 'alert' : 'group', 'aria-label': 'Your edits since the campaign' },
          h(
            'p',
            { 'data-probe': 'alert' },
            `${plural(drift.length, 'edit')} made after the campaign would be lost: ${drift.map((d) => d.label).join(', ')}. ` +
              `Choose what happens to ${drift.length === 1 ? 'it' : 'them'} before you run:`,
          ),
          h(
            'div',
            { class: 'buttons' },
            h(
              'label',
              { class: 'check' },
              h('input', {
                type: 'checkbox',
                checked: force,
                'data-action': 'force',
                'aria-label': 'Overwrite my edits (the safety snapshot keeps a copy)',
                onchange: (e) => ((force = (e.target as HTMLInputElement).checked), drawFooter()),
              }),
              ' Overwrite my edits (the safety snapshot keeps a copy)',
            ),
            files.length
              ? button(`Leave ${files.length === 1 ? 'That File' : 'Those Files'} Out`, 'leaveOutDrift', () => leaveOutDrift(), {
                  secondary: true,
                  title: `Untick ${files.map((d) => d.label).join(', ')}`,
                })
              : null,
            plan.mode === 'restore' && plan.totals.conflicts === 0
              ? button('Switch to Replay (Keeps My Edits)', 'replay', () => replan('replay'), {
                  secondary: true,
                  title: 'Undo only what the campaign did, keeping every edit made after it',
                })
              : null,
          ),
        ),
      );
    }
    if (!footerFolded)
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
    const over = force && drift.length ? ` (Overwriting ${plural(drift.length, 'Edit')})` : '';
    // the repos the run changes, as the status line counts them (a repo held by a conflict changes nothing)
    const changes = plan.repos.filter((r) => r.changed && c.repos.includes(r.path)).length;
    // the remotes the run pushes to: those chosen, of the repos it runs
    const pushedTo = plan.repos
      .filter((r) => c.repos.includes(r.path) && (r.pushes ?? []).length)
      .reduce((n, r) => n + (r.remoteChoices ?? []).filter((x) => x.chosen).length, 0);
    const remotesToo = pushedTo ? ` and ${plural(pushedTo, 'Remote')}` : '';
    const label = plan.planning
      ? `Planning… (${count(plan.planning.planned)} of ${plural(plan.planning.total, 'Repo')})`
      : `Roll Back ${everything ? '' : 'the Chosen '}${plural(c.fileCount, 'File')} in ${plural(changes, 'Repo')}${remotesToo}${over}`;
    const check = checkCommand.trim() ? { check: checkCommand.trim() } : {};
    const done = (!!result && result.kind === 'rollback' && result.outcome === 'committed') || !!(result && result.kind === 'undo');
    // a repo left out through a conflict's way out, and not ticked again since
    const leftForConflict = [...conflictLeftOut].filter((r) => excludedRepos.has(r));
    const start = () =>
      post({
        type: 'run',
        selection: everything ? {} : { repos: c.repos, files: c.files },
        force: force || untouchedDriftOnly(),
        ...check,
        ...(leftForConflict.length ? { conflicted: leftForConflict } : {}),
      });
    const runButton = button(label, 'run', start, {
      disabled: busy || !!plan.planning || !!stale || unresolved || conflicts > 0 || c.repos.length === 0 || nothingToDo || done,
      title: plan.planning
        ? 'Still planning: the rollback can run once every repo is planned'
        : conflicts
          ? 'Conflicts first: leave the repo out, or switch to Restore (above)'
          : unresolved
            ? 'Choose first what happens to your edits (above)'
            : stale
              ? 'The repos changed: wait for the new plan'
              : 'Run this plan as one transaction: all repos roll back, or none do',
    });
    parts.push(h('div', { class: 'buttons' }, runButton, foldButton()));
  }
  if (run) {
    if (!footerFolded) parts.push(progressTable(run));
    if (!result) {
      parts.push(
        h(
          'div',
          { class: 'buttons' },
          button('Cancel', 'cancel', () => post({ type: 'cancel' }), {
            secondary: true,
            disabled: run.committing,
            title: run.committing ? 'The commit phase has begun: the transaction finishes' : 'Stop before anything changes',
          }),
          foldButton(),
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
        result.canUndo
          ? button('Undo', 'undo', () => post({ type: 'undo' }), { secondary: true, title: 'Return every repo to its safety snapshot (its own transaction)' })
          : null,
        button('Preview Again', 'refresh', () => replan(), { secondary: true, title: 'Plan again from the repos as they are now' }),
      ),
    );
  }
  footer.classList.toggle('folded', footerFolded);
  footer.replaceChildren(...parts.filter((p): p is HTMLElement => !!p));
}

/** Folds the run bar to its buttons and status, or unfolds it; the choice holds while the panel is open. */
function foldButton(): HTMLButtonElement {
  const b = button(footerFolded ? 'Show Options' : 'Fewer Options', 'foldFooter', () => ((footerFolded = !footerFolded), drawFooter()), {
    secondary: true,
    small: true,
    title: footerFolded ? 'Show the check command and the per-repo progress again' : 'Fold this bar to its buttons, for more room for the plan',
  });
  b.classList.add('fold');
  b.setAttribute('aria-expanded', String(!footerFolded));
  return b;
}

function leaveOutDrift(): void {
  for (const d of chosenDrift()) if (d.path !== undefined) excludedFiles.add(keyOf(d.repo, d.path));
  drawPlan();
  drawFooter();
}

/** What the tests read beyond the shared snapshot: drift marks, wave notes, the run label, tab stops. */
function probeExtras(): Partial<RenderedSnapshot> {
  const shown = (sel: string) => [...app.querySelectorAll<HTMLElement>(sel)].filter((e) => !e.closest('[hidden]'));
  const name = (e: Element | null) => (e ? (e.getAttribute('aria-label') ?? e.textContent ?? '').trim() : '');
  const focusable = shown('input, button, select, summary, [tabindex]').filter((e) => e.tabIndex >= 0 && !(e as HTMLInputElement).disabled);
  return {
    planning: !!plan?.planning,
    driftLines: app.querySelectorAll('table.diff tr.drift:not(.hunk)').length,
    driftMarks: shown('[data-probe="drift"]').map((e) => e.textContent ?? ''),
    waveNotes: shown('[data-probe="why"]').map((e) => e.textContent ?? ''),
    waves: shown('[data-probe="wave"]').map((e) => e.textContent ?? ''),
    runLabel: app.querySelector('[data-action="run"]')?.textContent ?? undefined,
    footer: { folded: footerFolded, height: Math.round(footer.getBoundingClientRect().height), viewport: window.innerHeight },
    checkInput: inputColours(app.querySelector<HTMLInputElement>('[data-action="checkCommand"]')),
    tabStops: focusable.filter((e) => planSection.contains(e)).map(name),
    rowControls: shown('.file-row input, .file-row button').map(name),
    focused: document.activeElement && document.activeElement !== document.body ? name(document.activeElement) : '',
    alert: shown('[data-probe="alert"]')
      .map((e) => e.textContent ?? '')
      .join(' '),
    statusLog: [...statusLog],
    remotes: shown('[data-probe="remotes"]').flatMap((e) =>
      [...e.querySelectorAll(':scope > ul > li')].map((li) => `${e.dataset.label ?? ''}: ${li.textContent ?? ''}`),
    ),
    pushes: shown('[data-probe="pushes"]').flatMap((e) => [...e.querySelectorAll('li')].map((li) => `${e.dataset.label ?? ''}: ${li.textContent ?? ''}`)),
  };
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
  setStatus(`${run.kind === 'undo' ? 'Undo' : 'Rollback'}: ${message ?? 'working…'}`);
  drawFooter();
}

const cellText: Record<Cell, string> = { waiting: '·', active: '…', done: '✓', failed: '✗' };
/** The phases as the table's columns name them: what each did, not the engine's names. */
const phaseTitle: Record<(typeof phases)[number], string> = { prepare: 'Checked', commit: 'Restored', verify: 'Verified' };
const cellWords: Record<Cell, string> = { waiting: 'waiting', active: 'in progress', done: 'done', failed: 'failed' };

function progressTable(r: NonNullable<typeof run>): HTMLElement {
  return h(
    'table',
    { class: 'progress', 'aria-label': r.kind === 'undo' ? 'Undo progress per repo' : 'Rollback progress per repo' },
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Repo'), ...phases.map((p) => h('th', { scope: 'col' }, phaseTitle[p])))),
    h(
      'tbody',
      {},
      ...r.repos.map((repo) => {
        const cells = r.cells.get(repo)!;
        return h(
          'tr',
          {},
          h('th', { scope: 'row' }, names.get(repo) ?? repo),
          ...phases.map((p) => h('td', { class: `cell ${cells[p]}`, 'aria-label': `${phaseTitle[p]}: ${cellWords[cells[p]]}` }, cellText[cells[p]])),
        );
      }),
    ),
  );
}

/** A text box's colours as the theme draws them (for the tests: the check input must be readable in high contrast). */
function inputColours(input: HTMLInputElement | null): RenderedSnapshot['checkInput'] {
  if (!input) return undefined;
  const style = getComputedStyle(input);
  return { background: style.backgroundColor, color: style.color, placeholder: getComputedStyle(input, '::placeholder').color, border: style.borderTopColor };
}
