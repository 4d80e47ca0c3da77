// The "Evidence" page: a rollback's evidence pack as the report the server rendered (the body of the
// standalone evidence-rb_<id>.html), under a toolbar: Verify (the check of `codecontext evidence verify
// --repos`), the raw JSON (read-only), the page's path for a ticket, and expand / collapse every diff.
import type { EvidenceFromWebview, EvidenceToWebview, VerifyView } from '../../client/src/webviews/messages';
import { button, channel, h, plural, pressAction, showError, snapshotOf } from './ui';

const post = channel<EvidenceFromWebview>();
const app = document.getElementById('app')!;

const statusLine = h('p', { class: 'status', role: 'status', 'aria-live': 'polite' });
const result = h('div', { class: 'verify-result', hidden: true });
const body = h('div', { class: 'report-host' });
let verifying = false;
let hasReportFile = false;
let loaded = false;

window.addEventListener('message', (e: MessageEvent<EvidenceToWebview>) => receive(e.data));
post({ type: 'ready' });

function receive(m: EvidenceToWebview): void {
  switch (m.type) {
    case 'report': {
      hasReportFile = m.hasReportFile;
      loaded = true;
      // the server escaped every value of the pack; the webview's CSP runs no script or style from it either way
      const doc = new DOMParser().parseFromString(m.html, 'text/html');
      body.replaceChildren(...[...doc.body.childNodes].map((n) => document.adoptNode(n)));
      statusLine.textContent = 'Not verified yet: Verify checks the pack, its patch file and page, its signature, and every repo.';
      draw();
      return;
    }
    case 'verifying':
      verifying = true;
      statusLine.textContent = 'Verifying the pack and every repo…';
      draw();
      return;
    case 'verified':
      verifying = false;
      showResult(m.result);
      draw();
      return;
    case 'error':
      verifying = false;
      if (showError(app, statusLine, 'Evidence', m.message, loaded)) draw();
      return;
    case 'probe':
      // the report draws each inverse diff as its patch text (`pre.patch`), not as the other pages' tables
      post({ type: 'rendered', id: m.id, snapshot: { ...snapshotOf(app), diffs: app.querySelectorAll('pre.patch').length } });
      return;
    case 'press':
      pressAction(app, m.action, m.key);
      return;
  }
}

function draw(): void {
  const toolbar = h(
    'div',
    { class: 'toolbar evidence-toolbar', role: 'toolbar', 'aria-label': 'Evidence actions' },
    button(verifying ? 'Verifying…' : 'Verify', 'verify', () => post({ type: 'verify' }), {
      title: 'The same check as codecontext evidence verify --repos',
      disabled: verifying,
    }),
    button('Open JSON', 'openJson', () => post({ type: 'openJson' }), { secondary: true, title: 'The pack as written, read-only' }),
    hasReportFile &&
      button('Copy Page Path', 'copyReportPath', () => post({ type: 'copyReportPath' }), {
        secondary: true,
        title: 'The standalone HTML page, to attach to a ticket',
      }),
    button('Expand All Diffs', 'expandAll', () => openAll(true), { secondary: true }),
    button('Collapse All', 'collapseAll', () => openAll(false), { secondary: true }),
  );
  app.replaceChildren(toolbar, statusLine, result, body);
  app.removeAttribute('aria-busy');
}

function openAll(open: boolean): void {
  for (const d of body.querySelectorAll<HTMLDetailsElement>('li.file details')) d.open = open;
}

function showResult(v: VerifyView): void {
  const bad = v.repos.filter((r) => !r.ok);
  const packOk = v.problems.length === 0;
  // the pack and the repos are two findings: an intact pack whose repos moved on is not a forged one
  statusLine.textContent = v.ok
    ? `Verified: intact, and ${v.repos.length === 1 ? 'the repo is' : `all ${v.repos.length} repos are`} still in the recorded end state.`
    : packOk
      ? `Verified the pack: intact, but ${plural(bad.length, 'repo')} ${bad.length === 1 ? 'has' : 'have'} changed since.`
      : `Verify failed: ${plural(v.problems.length + bad.length, 'problem')}.`;
  result.hidden = false;
  result.className = `verify-result ${v.ok ? 'ok' : packOk ? 'moved' : 'failed'}`;
  result.replaceChildren(
    h('p', {}, h('strong', {}, packOk ? '✓ The pack is intact' : '✗ The pack is not intact'), ` — digest, patch file and page checked; ${v.signature}.`),
    h('ul', { class: 'problems', hidden: !v.problems.length }, ...v.problems.map((p) => h('li', {}, p))),
    h(
      'ul',
      { class: 'verify-repos' },
      ...v.repos.map((r) =>
        h('li', { class: r.ok ? 'ok' : 'failed' }, `${r.ok ? '✓' : '✗'} ${r.name}: `, r.ok ? 'in its recorded end state' : (r.problem ?? 'differs')),
      ),
    ),
  );
}
