// The "Campaign history" page: the campaign's steps on a timeline, one step at a time (Prev / Next,
// ← / →), its change records grouped by repo, per-file diffs inline or in the diff editor, and a
// "reviewed" mark per step.
import type { HistoryFromWebview, HistoryRecordView, HistoryState, HistoryToWebview } from '../../client/src/webviews/messages';
import { OpenDiffs, button, channel, cssId, drawDiffHost, h, lineCounts, plural, pressAction, renderDiff, showError, snapshotOf, toggleOpenDiff } from './ui';

const post = channel<HistoryFromWebview>();
const app = document.getElementById('app')!;

const keyOf = (repo: string, path: string) => `${repo}\n${path}`;

let state: HistoryState | undefined;
let step = 0;
let records: HistoryRecordView[] = [];
let total = 0;
let loading = true;
let layout: 'inline' | 'split' = 'inline';
const openDiffs: OpenDiffs = new Map();

const statusLine = h('p', { class: 'status', role: 'status', 'aria-live': 'polite' });

window.addEventListener('message', (e: MessageEvent<HistoryToWebview>) => receive(e.data));
document.addEventListener('keydown', onKey);
post({ type: 'ready' });

function receive(m: HistoryToWebview): void {
  switch (m.type) {
    case 'campaign':
      state = m.state;
      if (m.step !== step) {
        step = m.step;
        loading = true;
      }
      draw();
      return;
    case 'step':
      step = m.step;
      records = m.records;
      total = m.total;
      loading = false;
      openDiffs.clear();
      draw();
      return;
    case 'diff': {
      const key = keyOf(m.diff.repo, m.diff.path);
      if (m.step !== step || !openDiffs.has(key)) return;
      openDiffs.set(key, m.diff);
      drawDiff(key);
      return;
    }
    case 'reviewed': {
      const s = state?.steps.find((x) => x.n === m.step);
      if (s) s.reviewed = m.reviewed;
      draw();
      return;
    }
    case 'error':
      loading = false;
      showError(app, statusLine, 'Campaign history', m.message, !!state);
      return;
    case 'probe':
      post({ type: 'rendered', id: m.id, snapshot: { ...snapshotOf(app, step), badges: timelineLabels() } });
      return;
    case 'press':
      pressAction(app, m.action, m.key);
      return;
  }
}

/** ← / → step through the campaign (Home / End: first / last), unless the focus is in a field. */
function onKey(e: KeyboardEvent): void {
  const target = e.target as HTMLElement | null;
  if (e.altKey || e.ctrlKey || e.metaKey || target?.closest('input, select, textarea')) return;
  const n = state?.steps.length ?? 0;
  const to = e.key === 'ArrowLeft' ? step - 1 : e.key === 'ArrowRight' ? step + 1 : e.key === 'Home' ? 1 : e.key === 'End' ? n : undefined;
  if (to === undefined) return;
  e.preventDefault();
  go(to);
}

function go(to: number): void {
  const n = state?.steps.length ?? 0;
  if (to < 1 || to > n || to === step) return;
  step = to;
  loading = true;
  openDiffs.clear();
  draw();
  post({ type: 'showStep', step: to });
}

function draw(): void {
  if (!state) return;
  const c = state.campaign;
  const n = state.steps.length;
  const current = state.steps.find((s) => s.n === step);
  const reviewedCount = state.steps.filter((s) => s.reviewed).length;
  statusLine.textContent = loading
    ? `Loading step ${step}…`
    : n === 0
      ? 'No steps yet: checkpoint the campaign to record one.'
      : `Step ${step} of ${n}: ${plural(total, 'file')} changed · ${reviewedCount} of ${plural(n, 'step')} reviewed`;
  const focused = (document.activeElement as HTMLElement | null)?.dataset.action;
  app.replaceChildren(
    h(
      'header',
      {},
      h('h1', {}, `Campaign ${c.name}`),
      h(
        'p',
        { class: 'summary' },
        `${c.id} · ${c.status} · ${plural(c.repoCount, 'repo')} · started ${new Date(c.createdAt).toLocaleString()} · baseline ${c.baseline.slice(0, 13)}`,
      ),
    ),
    timeline(state),
    h(
      'div',
      { class: 'stepnav', role: 'toolbar', 'aria-label': 'Step through the campaign' },
      button('◀ Prev', 'prev', () => go(step - 1), { disabled: step <= 1, title: 'Previous step (←)' }),
      h('span', { class: 'position' }, n ? `Step ${step} of ${n}` : 'No steps'),
      button('Next ▶', 'next', () => go(step + 1), { disabled: step >= n, title: 'Next step (→)' }),
      current
        ? h(
            'label',
            { class: 'check' },
            h('input', {
              type: 'checkbox',
              checked: current.reviewed,
              'data-action': 'reviewed',
              onchange: (e) => post({ type: 'setReviewed', step, reviewed: (e.target as HTMLInputElement).checked }),
            }),
            ' Reviewed',
          )
        : null,
      h(
        'label',
        { class: 'select' },
        'Diff',
        h(
          'select',
          {
            'aria-label': 'Diff layout',
            onchange: (e) => {
              layout = (e.target as HTMLSelectElement).value as 'inline' | 'split';
              for (const k of openDiffs.keys()) drawDiff(k);
            },
          },
          h('option', { value: 'inline', selected: layout === 'inline' }, 'Inline'),
          h('option', { value: 'split', selected: layout === 'split' }, 'Side by side'),
        ),
      ),
      current ? button('Preview Rollback to Before This Step', 'previewRollback', () => post({ type: 'previewRollback', step }), { secondary: true }) : null,
    ),
    current ? stepDetail(current) : h('p', { class: 'muted' }, 'This campaign has no steps yet.'),
    statusLine,
    current && !loading ? recordList() : h('div'),
  );
  if (focused) (app.querySelector(`[data-action="${CSS.escape(focused)}"]:not([disabled])`) as HTMLElement | null)?.focus();
}

/** The timeline's steps as a screen reader names them (the tests read the badges this way). */
function timelineLabels(): string[] {
  return [...app.querySelectorAll<HTMLElement>('nav.timeline [data-action="goto"]')].map((b) => b.getAttribute('aria-label') ?? '');
}

function timeline(s: HistoryState): HTMLElement {
  const items = [
    h('li', { class: 'baseline' }, h('span', { class: 'dot', 'aria-hidden': 'true' }), h('span', { class: 'label' }, 'baseline')),
    ...s.steps.map((st) => {
      const what = st.message ?? (st.command ? st.command.join(' ') : 'checkpoint');
      const failed = st.failed.length ? `failed in ${plural(st.failed.length, 'repo')}` : '';
      return h(
        'li',
        // a failed step stays marked failed once reviewed: the failure badge wins, the ✓ goes beside it
        { class: `${st.n === step ? 'current' : ''}${st.reviewed ? ' reviewed' : ''}${st.failed.length ? ' failed' : ''}` },
        h(
          'button',
          {
            type: 'button',
            'data-action': 'goto',
            'data-key': String(st.n),
            'aria-current': st.n === step ? 'step' : undefined,
            'aria-label': `Step ${st.n}: ${what}, ${plural(st.files, 'file')}${failed ? `, ${failed}` : ''}${st.reviewed ? ', reviewed' : ''}`,
            title: `${new Date(st.at).toLocaleString()}${failed ? ` · the command ${failed}` : ''}${st.reviewed ? ' · reviewed' : ''}`,
            onclick: () => go(st.n),
          },
          h('span', { class: 'dot', 'aria-hidden': 'true' }, st.failed.length ? '!' : st.reviewed ? '✓' : String(st.n)),
          h('span', { class: 'label' }, st.message ?? (st.command ? st.command.join(' ') : `step ${st.n}`)),
          st.failed.length && st.reviewed ? h('span', { class: 'review-mark', 'aria-hidden': 'true' }, '✓') : null,
        ),
      );
    }),
  ];
  return h('nav', { class: 'timeline', 'aria-label': 'Campaign steps' }, h('ol', {}, ...items));
}

function stepDetail(st: HistoryState['steps'][number]): HTMLElement {
  const names = state!.repoNames;
  return h(
    'section',
    { class: 'step', 'aria-label': `Step ${st.n}` },
    h('h2', {}, `Step ${st.n}${st.message ? `: ${st.message}` : ''}`),
    h(
      'p',
      { class: 'summary' },
      `${new Date(st.at).toLocaleString()} · ${plural(st.files, 'file')} in ${plural(st.reposChanged, 'repo')} `,
      lineCounts(st.added, st.removed),
      ` · snapshot ${st.snapshot.slice(0, 13)}`,
    ),
    st.command ? h('p', {}, 'Command: ', h('code', {}, st.command.join(' '))) : null,
    st.failed.length
      ? h(
          'div',
          { class: 'failed' },
          h('p', { class: 'error' }, `The command failed in ${plural(st.failed.length, 'repo')}:`),
          ...st.failed.map((f) => h('details', {}, h('summary', {}, `${names[f.repo] ?? f.repo} (exit ${f.exitCode})`), h('pre', {}, f.outputTail))),
        )
      : null,
    st.refChanges.length
      ? h(
          'ul',
          { class: 'notes' },
          ...st.refChanges.map((r) => h('li', { class: 'muted' }, `${names[r.repo] ?? r.repo}: HEAD ${short(r.from)} → ${short(r.to)}`)),
        )
      : null,
  );
}

function short(ref: string | null): string {
  if (!ref) return '(none)';
  return /^[0-9a-f]{40,64}$/.test(ref) ? ref.slice(0, 10) : ref.replace(/^refs\/heads\//, '');
}

function recordList(): HTMLElement {
  const names = state!.repoNames;
  const byRepo = new Map<string, HistoryRecordView[]>();
  for (const r of records) (byRepo.get(r.repo) ?? byRepo.set(r.repo, []).get(r.repo)!).push(r);
  const groups = [...byRepo].map(([repo, recs]) =>
    h(
      'div',
      { class: 'repo', role: 'group', 'aria-label': names[repo] ?? repo },
      h(
        'div',
        { class: 'repo-row', 'data-probe': 'repo', 'data-label': names[repo] ?? repo },
        h('span', { class: 'repo-name', title: repo }, names[repo] ?? repo),
        h('span', { class: 'muted' }, plural(recs.length, 'file')),
        lineCounts(
          recs.reduce((n, r) => n + r.added, 0),
          recs.reduce((n, r) => n + r.removed, 0),
        ),
      ),
      h('ul', { class: 'files', 'aria-label': `Files of ${names[repo] ?? repo}` }, ...recs.map((r) => recordRow(r, names[repo] ?? repo))),
    ),
  );
  const more = total > records.length ? h('p', { class: 'muted' }, `Only the first ${records.length} of ${total} changes are listed.`) : null;
  return h(
    'section',
    { class: 'records', 'aria-label': `Changes of step ${step}` },
    ...(groups.length ? groups : [h('p', { class: 'muted' }, 'This step changed no file.')]),
    more ?? '',
  );
}

function recordRow(r: HistoryRecordView, repoName: string): HTMLElement {
  const key = keyOf(r.repo, r.path);
  const diffId = `diff-${cssId(key)}`;
  const open = openDiffs.has(key);
  return h(
    'li',
    { class: 'file', 'data-probe': 'file', 'data-label': `${repoName}/${r.path}` },
    h(
      'div',
      { class: 'file-row' },
      h('span', { class: `op op-${r.kind}` }, r.kind),
      h(
        'button',
        {
          type: 'button',
          class: 'path',
          'data-action': 'openDiff',
          'data-key': key,
          title: `Open ${r.path} in the diff editor (before ↔ after step ${step})`,
          onclick: () => post({ type: 'openDiff', step, repo: r.repo, path: r.path }),
        },
        r.oldPath ? `${r.oldPath} → ${r.path}` : r.path,
      ),
      lineCounts(r.added, r.removed, r.binary),
      h(
        'button',
        {
          type: 'button',
          class: 'secondary small',
          title: open ? 'Hide the diff' : 'Show the diff here',
          'aria-expanded': String(open),
          'aria-controls': diffId,
          'data-action': 'toggleDiff',
          'data-key': key,
          onclick: () => toggleDiff(key, r),
        },
        open ? 'Hide Diff' : 'Show Diff',
      ),
    ),
    h('div', { id: diffId, class: 'diff-host', hidden: !open }),
  );
}

function toggleDiff(key: string, r: HistoryRecordView): void {
  const btn = toggleOpenDiff(openDiffs, app, key, () => post({ type: 'loadDiff', step, repo: r.repo, path: r.path }));
  if (btn) btn.textContent = openDiffs.has(key) ? 'Hide Diff' : 'Show Diff';
  drawDiff(key);
}

function drawDiff(key: string): void {
  drawDiffHost(key, openDiffs.get(key), (d) => renderDiff(d, layout, `Diff of ${d.path} in step ${step}`));
}
