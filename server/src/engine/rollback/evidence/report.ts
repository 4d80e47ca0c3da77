import * as crypto from 'crypto';
import * as path from 'path';
import { sha256 } from '../../util/canonical';
import { showPath } from '../../util/pathBytes';
import { plural } from '../../util/words';
import type { RepoState } from '../../repo/repoState';
import type { EvidencePack, EvidenceRepo, RepoSpan } from './pack';
import { remoteWords } from '../plan/remotes';
import type { LeftOut } from '../plan/plan';

/**
 * An evidence pack as a page a person reads: the outcome, the target, who ran it where and when,
 * the phases on a timeline (per repo, a small Gantt chart in inline SVG), per repo the before /
 * target / after states, per file the operation and its inverse diff, the checks and any review
 * comments. A pure function of the pack and its patch text: the same pack gives the same bytes.
 * The page is rendered before the digest is computed, so it shows neither the digest nor its own
 * hash; the pack records that hash (`report`), so the digest, the signature and the chain cover the
 * page as they cover the patch file.
 *
 * The standalone page is for an incident ticket: one file, no network, no script, inline CSS
 * allowed by its hash in a CSP meta tag. The body alone is what the extension's webview shows,
 * under its own CSP and theme (media/evidence.css styles the same classes): hence no `style`
 * attributes anywhere, only classes and SVG geometry.
 */

export const reportGenerator = 'codecontext evidence report 1';

/** What the page is rendered from: the pack before its page's hash and its digest exist (a whole pack will do too). */
export type ReportedPack = Omit<EvidencePack, 'digest' | 'report'> & { digest?: string };

/** A review comment on the rollback, a repo, a file or a line (the pack's optional `comments`). */
export interface EvidenceComment {
  repo?: string;
  path?: string;
  line?: number;
  step?: number;
  author?: string;
  text: string;
  at?: string;
}

/** Lines of one file's inverse diff drawn at most; the patch file holds the rest. */
const maxDiffLines = 2000;

/** The report's file name beside the pack. */
export function reportFileName(id: string): string {
  return `evidence-${id}.html`;
}

/** The standalone page. */
export function renderEvidenceReport(pack: ReportedPack, patchText: string): string {
  return [...evidenceReportChunks(pack, splitPatches(pack, patchText))].join('');
}

/**
 * The standalone page in pieces, from each file's inverse diff (per repo, in the pack's order), so a
 * pack of a hundred thousand files is written and hashed as it is rendered, never held whole. The
 * pieces joined are `renderEvidenceReport`'s page, byte for byte.
 */
export function* evidenceReportChunks(pack: ReportedPack, patches: readonly ((string | undefined)[] | undefined)[]): Generator<string> {
  const css = standaloneCss;
  const hash = crypto.createHash('sha256').update(css).digest('base64');
  const csp = ["default-src 'none'", `style-src 'sha256-${hash}'`, "img-src 'none'", "base-uri 'none'", "form-action 'none'"].join('; ');
  yield `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="referrer" content="no-referrer">
<meta name="generator" content="${reportGenerator}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(titleOf(pack))} (${esc(pack.id)})</title>
<style>${css}</style>
</head>
<body>
`;
  yield* evidenceBodyChunks(pack, patches);
  yield `
</body>
</html>
`;
}

export function titleOf(pack: ReportedPack): string {
  return pack.kind === 'undo' ? `Undo of ${pack.undoOf ?? 'a rollback'}` : `Rollback to ${pack.target.label}`;
}

/** The report without the page around it: `<article class="evidence-report">…</article>`. */
export function renderEvidenceBody(pack: ReportedPack, patchText: string): string {
  return [...evidenceBodyChunks(pack, splitPatches(pack, patchText))].join('');
}

function* evidenceBodyChunks(pack: ReportedPack, patches: readonly ((string | undefined)[] | undefined)[]): Generator<string> {
  const name = repoNamer(pack.repos.map((r) => r.path));
  const comments = commentsOf(pack);
  const files = pack.repos.reduce((n, r) => n + r.files.length, 0);
  const head = [
    `<article class="evidence-report" data-rollback="${esc(pack.id)}">`,
    '<header>',
    `<h1>${esc(titleOf(pack))}</h1>`,
    `<p class="headline"><span class="outcome outcome-${esc(pack.outcome)}">${pack.outcome === 'committed' ? 'Committed' : 'Aborted'}</span> `,
    `${esc(plural(pack.repos.length, 'repo'))}, ${esc(plural(files, 'file'))}, `,
    `${esc(ms(Date.parse(pack.endedAt) - Date.parse(pack.startedAt)))}, ${esc(pack.mode)} mode `,
    leftOutWords(pack),
    `— by ${esc(pack.who.gitName ?? pack.who.user)} on ${esc(pack.host)}, ${esc(when(pack.startedAt))}</p>`,
    errorLine(pack, name),
    '</header>',
    // the picture first: a reader sees at a glance where the time went and which repo failed
    timelineSection(pack, name),
    factsSection(pack),
    pushesSection(pack, name),
    leftOutSection(pack, name),
    remotesSection(pack, name),
    `<section class="repos" aria-label="Repositories"><h2>Repositories <span class="count">${pack.repos.length}</span></h2>`,
  ];
  const tail = [
    '</section>',
    checksSection(pack, name),
    commentsSection(comments, name),
    pack.journalProblems?.length
      ? `<section class="notes"><h2>Journal entries not written</h2><ul>${pack.journalProblems.map((p) => `<li>${esc(p)}</li>`).join('')}</ul></section>`
      : '',
    '<footer>',
    `<p>This page renders <code>evidence-${esc(pack.id)}.json</code>`,
    pack.digest ? ` (digest <code>${esc(pack.digest)}</code>)` : '',
    ` and <code>${esc(pack.patches.file)}</code> `,
    `(sha256 <code>${esc(pack.patches.sha256)}</code>); the pack records this page’s sha256 under its digest. `,
    `<code>codecontext evidence verify ${esc(pack.id)} --repos</code> checks all three, and that every repo is still as the rollback left it.</p>`,
    `<p>${esc(reportGenerator)}, codecontext ${esc(pack.toolVersion)}.</p>`,
    '</footer>',
    '</article>',
  ];
  // the parts, each on a line of its own (an empty one left out); neither end is ever empty
  yield head.filter(Boolean).join('\n');
  for (const [i, r] of pack.repos.entries()) {
    yield '\n';
    yield* repoChunks(r, name, patches[i], comments);
  }
  yield '\n' + tail.filter(Boolean).join('\n');
}

/**
 * The command line that made the rollback, as one a user can run; a rollback run from the extension
 * (its argv starts with `(vscode)`) had none, and says so rather than show a command no shell knows.
 */
export function commandLine(pack: Pick<EvidencePack, 'command' | 'planHash'>): string | undefined {
  if (!pack.command.length) return undefined;
  if (pack.command[0] === '(vscode)') {
    const rest = pack.command.slice(1).filter((w, i) => !(i === 0 && w === 'rollback') && w !== '--plan' && w !== pack.planHash);
    return `none: run from the VS Code extension${rest.length ? ` (${rest.join(' ')})` : ''}`;
  }
  return `codecontext ${pack.command.join(' ')}`;
}

/** "; 1 repo and 2 files left out": the headline of a partial rollback says it was partial. */
export function leftOutWords(pack: Pick<EvidencePack, 'leftOut'>): string {
  const left = pack.leftOut ?? [];
  if (!left.length) return '';
  const repos = left.filter((l) => l.path === undefined).length;
  const files = left.length - repos;
  const parts = [repos ? plural(repos, 'repo') : '', files ? plural(files, 'file') : ''].filter(Boolean).join(' and ');
  return `— partial: ${esc(parts)} left out `;
}

const leftOutReasons: Record<LeftOut['reason'], string> = {
  unticked: 'not ticked',
  blocked: 'blocked (its state stopped the plan)',
  conflict: 'left out: it conflicted',
};

function leftOutSection(pack: ReportedPack, name: (p: string) => string): string {
  const left = pack.leftOut ?? [];
  if (!left.length) return '';
  const rows = left.map(
    (l) =>
      `<li>${esc(name(l.repo))}${l.path !== undefined ? `/${esc(showPath(l.path))}` : ' (the whole repo)'}: ${esc(leftOutReasons[l.reason] ?? l.reason)}</li>`,
  );
  return (
    `<section class="left-out" aria-label="Left out"><h2>Left out <span class="count">${left.length}</span></h2>` +
    `<p>This rollback was partial: these stayed as they were.</p><ul>${rows.join('')}</ul></section>`
  );
}

/** Facts shown as code: ids and command lines. */
const code = new Set(['Command', 'Plan', 'Evidence']);

function errorLine(pack: ReportedPack, name: (p: string) => string): string {
  const e = pack.error;
  if (!e) return '';
  const text = [e.repo && name(e.repo), e.path && showPath(e.path), e.message].filter(Boolean).join(': ');
  return `<p class="problem" role="alert"><strong>${esc(e.code)}</strong>: ${esc(text)}</p>`;
}

function tr(cells: string[]): string {
  return `<tr>${cells.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`;
}

function factsSection(pack: ReportedPack): string {
  const who = [pack.who.gitName, pack.who.gitEmail ? `<${pack.who.gitEmail}>` : undefined].filter(Boolean).join(' ');
  const t = pack.target;
  const campaign = t.campaign ? `campaign ${t.campaign}${t.checkpoint !== undefined ? `, checkpoint ${t.checkpoint}` : ''}` : undefined;
  const target = [t.label, t.label.includes(t.snapshot) ? undefined : t.snapshot, campaign];
  const rows: [string, string | undefined][] = [
    ['Outcome', pack.outcome + (pack.kind === 'undo' ? ` (undo of ${pack.undoOf ?? '?'})` : '')],
    ['Target', target.filter(Boolean).join(' · ')],
    ['Who', `${pack.who.user}${who ? ` (git: ${who})` : ''}`],
    ['Where', `${pack.host}: ${pack.cwd}`],
    ['When', `${when(pack.startedAt)} → ${when(pack.endedAt)}`],
    ['Command', commandLine(pack)],
    ['Mode', pack.mode],
    ['Plan', pack.planHash],
    ['Safety snapshot', pack.safetySnapshot ?? 'none (nothing was prepared)'],
    ['Previous pack', pack.previous ? `${pack.previous.id} (digest ${pack.previous.digest.slice(0, 16)}…)` : 'none: the first of this store'],
    ['Tool', `codecontext ${pack.toolVersion}`],
    ['Evidence', pack.id],
  ];
  return [
    '<section class="facts" aria-label="Who, when, where"><h2>Who, when, where</h2><dl>',
    ...rows.filter(([, v]) => v).map(([k, v]) => `<div><dt>${esc(k)}</dt><dd>${code.has(k) ? `<code>${esc(v!)}</code>` : esc(v!)}</dd></div>`),
    '</dl></section>',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// The timeline: one row for the whole transaction's phases, one per repo

const phaseNames: RepoSpan['name'][] = ['prepare', 'commit', 'check', 'verify', 'compensate'];

interface Bar {
  name: RepoSpan['name'];
  start: number;
  ms: number;
  ok: boolean;
}

function timelineSection(pack: ReportedPack, name: (p: string) => string): string {
  const t0 = Date.parse(pack.startedAt);
  const whole: Bar[] = pack.phases.map((p) => {
    const start = Date.parse(p.startedAt);
    return { name: p.name, start, ms: p.ms ?? Math.max(0, Date.parse(p.endedAt ?? p.startedAt) - start), ok: true };
  });
  if (pack.error) {
    const failedPhase = whole[whole.length - 1]?.name === 'compensate' ? whole[whole.length - 2] : whole[whole.length - 1];
    if (failedPhase) failedPhase.ok = false;
  }
  const rows: { label: string; title: string; bars: Bar[] }[] = [{ label: 'all repos', title: 'The transaction', bars: whole }];
  for (const r of pack.repos) {
    const bars = (r.timings ?? []).map((s) => ({ name: s.name, start: Date.parse(s.startedAt), ms: s.ms, ok: s.ok }));
    rows.push({ label: name(r.path), title: r.path, bars });
  }
  const ends = rows.flatMap((r) => r.bars.map((b) => b.start + b.ms));
  const span = Math.max(1, Math.max(Date.parse(pack.endedAt), ...ends) - t0);
  const labelW = 150;
  const chartW = 600;
  const rowH = 22;
  const top = 24;
  const height = top + rows.length * rowH + 6;
  const x = (t: number) => labelW + ((t - t0) / span) * chartW;
  const out: string[] = [];
  out.push(
    `<svg class="gantt" viewBox="0 0 ${labelW + chartW + 10} ${height}" width="${labelW + chartW + 10}" height="${height}"`,
    ' role="img" aria-labelledby="gantt-title" xmlns="http://www.w3.org/2000/svg">',
    `<title id="gantt-title">${esc(`Timeline of ${pack.id}: ${pack.phases.map((p) => `${p.name} ${ms(p.ms ?? 0)}`).join(', ')}`)}</title>`,
  );
  for (let i = 0; i <= 4; i++) {
    const tx = labelW + (chartW * i) / 4;
    const anchor = i === 0 ? 'start' : i === 4 ? 'end' : 'middle';
    out.push(
      `<line class="tick" x1="${r1(tx)}" y1="${top - 6}" x2="${r1(tx)}" y2="${height - 4}"/>`,
      `<text class="axis" x="${r1(tx)}" y="${top - 10}" text-anchor="${anchor}">${esc(ms((span * i) / 4))}</text>`,
    );
  }
  rows.forEach((row, i) => {
    const y = top + i * rowH;
    out.push(
      `<g class="row${i === 0 ? ' whole' : ''}" data-row="${esc(row.label)}">`,
      `<text class="label" x="${labelW - 8}" y="${y + 15}" text-anchor="end">${esc(truncate(row.label, 22))}<title>${esc(row.title)}</title></text>`,
    );
    if (!row.bars.length) out.push(`<text class="none" x="${labelW + 4}" y="${y + 15}">no timings recorded</text>`);
    for (const b of row.bars) {
      const w = Math.max(2, (b.ms / span) * chartW);
      const bx = Math.min(x(b.start), labelW + chartW - w);
      const tip = `${row.label}: ${b.name} ${ms(b.ms)}, from +${ms(b.start - t0)}${b.ok ? '' : ' — failed'}`;
      const geometry = `x="${r1(bx)}" y="${y + 4}" width="${r1(w)}" height="${rowH - 8}" rx="2"`;
      out.push(`<rect class="bar ${b.name}${b.ok ? '' : ' failed'}" ${geometry}><title>${esc(tip)}</title></rect>`);
    }
    out.push('</g>');
  });
  out.push('</svg>');
  const used = phaseNames.filter((n) => rows.some((r) => r.bars.some((b) => b.name === n)));
  const failed = rows.some((r) => r.bars.some((b) => !b.ok)) ? '<li><span class="swatch failed"></span>failed</li>' : '';
  const legend = `<ul class="legend">${used.map((n) => `<li><span class="swatch ${n}"></span>${n}</li>`).join('')}${failed}</ul>`;
  const table = [
    '<details class="timings"><summary>Timings as a table</summary><table class="data">',
    '<thead><tr><th>repo</th><th>phase</th><th>start</th><th>duration</th><th>retries</th></tr></thead><tbody>',
    ...pack.phases.map((p) => tr(['all repos', p.name, `+${ms(Date.parse(p.startedAt) - t0)}`, ms(p.ms ?? 0), String(p.retries)])),
    ...pack.repos.flatMap((r) =>
      (r.timings ?? []).map((s) => tr([name(r.path), `${s.name}${s.ok ? '' : ' (failed)'}`, `+${ms(Date.parse(s.startedAt) - t0)}`, ms(s.ms), ''])),
    ),
    '</tbody></table></details>',
  ].join('');
  return `<section class="timeline" aria-label="Timeline"><h2>Timeline</h2>\n<div class="gantt-wrap">${out.join('\n')}</div>\n${legend}\n${table}</section>`;
}

/**
 * What of the campaign the repos' remotes held when the rollback was planned (remoteWords, the
 * words the CLI and the preview use): a rollback is local, so it is all still there after it.
 */
function remotesSection(pack: ReportedPack, name: (p: string) => string): string {
  // a repo whose remotes this rollback pushed to is told in pushesSection
  const pushed = new Set((pack.pushes ?? []).map((p) => p.repo));
  const items = pack.repos
    .filter((r) => !pushed.has(r.path))
    .flatMap((r) => remoteWords(r.remotes).map((w) => `<li><strong>${esc(name(r.path))}</strong>: ${esc(w)}</li>`));
  if (!items.length) return '';
  return [
    '<section class="remotes" aria-label="On the remotes"><h2>On the remotes</h2>',
    '<p class="muted">What of the campaign had reached the remotes when this rollback was planned. The rollback changed the local repos only.</p>',
    `<ul class="notes">${items.join('')}</ul></section>`,
  ].join('\n');
}

/** The remote steps: per repo and remote, where it pushed, each ref's lease and new value, and what the remote said. */
function pushesSection(pack: ReportedPack, name: (p: string) => string): string {
  if (!pack.pushes?.length) return '';
  const short = (v: string | null) => (v === null ? '(none)' : `<code>${esc(v.slice(0, 12))}</code>`);
  const blocks = pack.pushes.map((p) => {
    const rows = p.updates
      .map(
        (u) =>
          `<tr><td><code>${esc(u.ref)}</code></td><td>${esc(u.action)}</td><td>${short(u.old)}</td><td>${short(u.new)}</td>` +
          `<td>${(u.reverts ?? []).map((c) => `<code>${esc(c.slice(0, 12))}</code>`).join(' ')}</td></tr>`,
      )
      .join('');
    const kept = p.kept?.length ? `<p>Moved by someone else meanwhile, left as they are: ${p.kept.map((k) => `<code>${esc(k)}</code>`).join(', ')}</p>` : '';
    const output = p.output ? `<details><summary>What the remote said</summary><pre>${esc(p.output)}</pre></details>` : '';
    return (
      `<h3>${esc(name(p.repo))} → ${esc(p.remote)} <span class="muted">${esc(p.url)}</span> — ${esc(p.phase)}</h3>` +
      `<table><thead><tr><th>ref</th><th>action</th><th>before (the lease)</th><th>after</th><th>campaign commits reverted</th></tr></thead>` +
      `<tbody>${rows}</tbody></table>${kept}${output}`
    );
  });
  return [
    '<section class="pushes" aria-label="Pushed to the remotes"><h2>Pushed to the remotes</h2>',
    '<p class="muted">Each remote got one atomic push; every ref was leased on the value it held before, so a push by anyone else was never overwritten.</p>',
    ...blocks,
    '</section>',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// Repos and files

function* repoChunks(
  r: EvidenceRepo,
  name: (p: string) => string,
  patches: (string | undefined)[] | undefined,
  comments: EvidenceComment[],
): Generator<string> {
  const label = name(r.path);
  const status = r.abandoned ? 'abandoned' : r.compensated ? 'returned to its safety state' : r.committed ? 'committed' : 'not changed';
  const states: [string, RepoState | null][] = [
    ['before', r.before],
    ['target', r.target],
    ['after', r.after],
  ];
  const cell = (s: RepoState | null, k: 'head' | 'ref' | 'index' | 'worktree', differs: boolean) =>
    `<td class="${differs ? 'differs' : ''}"><code title="${esc(String(s?.[k] ?? ''))}">${esc(s ? short(s[k]) : '—')}</code></td>`;
  const rows = states.map(([which, s]) => {
    // after ≠ target is what a reader looks for: it is marked
    const differs = (k: 'head' | 'ref' | 'index' | 'worktree') => which === 'after' && !!s && s[k] !== r.target[k];
    const cells = (['head', 'ref', 'index', 'worktree'] as const).map((k) => cell(s, k, differs(k))).join('');
    return `<tr><th scope="row">${which}</th>${cells}</tr>`;
  });
  const notes = [
    r.abandoned ? `Given up by recovery: ${r.abandoned}` : '',
    r.kept?.length ? `Kept as another process left them: ${r.kept.map(showPath).join(', ')}` : '',
    r.pinnedBeforeCompensation ? `Its state before compensation is pinned under ${r.pinnedBeforeCompensation}` : '',
  ].filter(Boolean);
  yield [
    `<section class="repo" data-probe="repo" data-label="${esc(label)}" aria-label="${esc(label)}">`,
    `<h3>${esc(label)} <span class="repo-status status-${r.compensated ? 'compensated' : r.committed ? 'committed' : 'unchanged'}">${esc(status)}</span></h3>`,
    `<p class="muted"><code>${esc(r.path)}</code> · wave ${r.wave + 1} · ${esc(plural(r.files.length, 'file'))}</p>`,
    '<table class="states"><thead><tr><th></th><th>HEAD</th><th>branch</th><th>index tree</th><th>worktree tree</th></tr></thead>',
    `<tbody>${rows.join('')}</tbody></table>`,
    notes.length ? `<ul class="notes">${notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : '',
  ]
    .filter(Boolean)
    .join('\n');
  yield '\n';
  if (r.files.length === 0) yield '<p class="muted">No file changed here (the index, HEAD or nothing).</p>';
  else {
    yield '<ul class="files">';
    for (const [i, f] of r.files.entries()) {
      const mine = comments.filter((c) => c.path === f.path && (!c.repo || sameRepo(c.repo, r.path)));
      yield (i ? '\n' : '') + fileRow(r, label, f, patches?.[i], mine);
    }
    yield '</ul>';
  }
  yield '\n</section>';
}

function fileRow(r: EvidenceRepo, repoLabel: string, f: EvidenceRepo['files'][number], patch: string | undefined, comments: EvidenceComment[]): string {
  const shown = showPath(f.path);
  const blobs = `${short(f.fromBlob)} ${esc('→')} ${short(f.blob)}${f.fromMode !== f.mode ? ` · mode ${f.fromMode ?? '—'} → ${f.mode ?? '—'}` : ''}`;
  const counts = f.binary
    ? '<span class="counts muted">binary</span>'
    : `<span class="counts"><span class="added">+${f.added}</span> <span class="removed">−${f.removed}</span></span>`;
  let body: string;
  if (patch === undefined) body = '<p class="problem">This file’s inverse diff is not in the patch file.</p>';
  else if (sha256(patch) !== f.diffHash) {
    const why = `The patch file’s diff for this file does not match the hash the pack recorded (${esc(f.diffHash.slice(0, 12))}): it was changed.`;
    body = `<p class="problem">${why}</p>${diffBlock(patch, `${repoLabel}/${shown}`)}`;
  } else body = diffBlock(patch, `${repoLabel}/${shown}`);
  const notes = comments.length ? `<ul class="comments">${comments.map((c) => `<li>${commentText(c, undefined)}</li>`).join('')}</ul>` : '';
  return [
    `<li class="file" data-probe="file" data-label="${esc(`${repoLabel}/${shown}`)}" data-repo="${esc(r.path)}" data-path="${esc(f.path)}">`,
    `<details><summary><span class="op op-${esc(f.change)}">${esc(f.change)}</span> <code class="path">${esc(shown)}</code> ${counts} `,
    `<span class="blobs muted">${blobs}</span>${comments.length ? ` <span class="badge">${esc(plural(comments.length, 'comment'))}</span>` : ''}</summary>`,
    notes,
    body,
    '</details></li>',
  ].join('');
}

/**
 * A file's inverse diff as the patch text itself, lines marked: `<ins>` added, `<del>` removed, `<span
 * class="m">` headers and hunks. Compact on purpose: the page goes with every pack (a store on a small disk
 * must still hold them), and a row of table cells per line was four fifths of it.
 */
function diffBlock(patch: string, caption: string): string {
  const lines = patch.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if (!lines.length) return '<p class="muted">No content change.</p>';
  const shown = lines.slice(0, maxDiffLines).map((line) => {
    const text = esc(line) + '\n';
    if (/^(diff --git|index |--- |\+\+\+ |@@ |old mode|new mode|deleted file|new file|Binary files|\\ )/.test(line)) return `<span class="m">${text}</span>`;
    if (line.startsWith('+')) return `<ins>${text}</ins>`;
    if (line.startsWith('-')) return `<del>${text}</del>`;
    return text;
  });
  const more = lines.length > maxDiffLines ? `<p class="muted">… ${lines.length - maxDiffLines} more lines in the patch file.</p>` : '';
  return `<pre class="patch" aria-label="${esc(`Inverse diff of ${caption}`)}">${shown.join('')}</pre>${more}`;
}

/**
 * The patch file cut back into one diff per file, in the pack's order. The transaction writes each
 * file's diff after a `# repo: <path>` line, and no line of a diff starts with `#`.
 */
export function splitPatches(pack: ReportedPack, patchText: string): (string | undefined)[][] {
  const chunks: { repo: string; text: string }[] = [];
  const re = /^# repo: (.*)\n/gm;
  let m: RegExpExecArray | null;
  let last: { repo: string; start: number } | undefined;
  while ((m = re.exec(patchText))) {
    if (last) chunks.push({ repo: last.repo, text: patchText.slice(last.start, m.index) });
    last = { repo: m[1], start: m.index + m[0].length };
  }
  if (last) chunks.push({ repo: last.repo, text: patchText.slice(last.start) });
  let next = 0;
  return pack.repos.map((r) =>
    r.files.map(() => {
      const c = chunks[next];
      if (c?.repo !== r.path) return undefined;
      next++;
      return c.text;
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// Checks and comments

function checksSection(pack: ReportedPack, name: (p: string) => string): string {
  if (!pack.checks?.length) return '';
  const rows = pack.checks.map(
    (c) =>
      `<tr class="${c.exitCode === 0 ? '' : 'failed'}"><td>${esc(name(c.repo))}</td><td><code>${esc(c.command)}</code></td>` +
      `<td>${c.timedOut ? 'timed out' : `exit ${c.exitCode}`}</td><td>${esc(ms(c.durationMs))}</td></tr>` +
      (c.outputTail.trim() ? `<tr class="output"><td></td><td colspan="3"><pre>${esc(c.outputTail.trimEnd())}</pre></td></tr>` : ''),
  );
  const head = '<thead><tr><th>repo</th><th>command</th><th>result</th><th>duration</th></tr></thead>';
  const table = `<table class="data">${head}<tbody>${rows.join('')}</tbody></table>`;
  return `<section class="checks" aria-label="Rolling checks"><h2>Rolling checks</h2>${table}</section>`;
}

/** The pack's `comments`, when it has them; entries that are not comments are left out, not guessed at. */
export function commentsOf(pack: ReportedPack): EvidenceComment[] {
  const raw = (pack as { comments?: unknown }).comments;
  if (!Array.isArray(raw)) return [];
  return raw.filter((c): c is EvidenceComment => !!c && typeof c === 'object' && typeof (c as EvidenceComment).text === 'string');
}

function commentsSection(comments: EvidenceComment[], name: (p: string) => string): string {
  if (!comments.length) return '';
  const items = comments.map((c) => `<li>${commentText(c, name)}</li>`).join('');
  const heading = `<h2>Review comments <span class="count">${comments.length}</span></h2>`;
  return `<section class="comments" aria-label="Review comments">${heading}<ul class="comments">${items}</ul></section>`;
}

function commentText(c: EvidenceComment, name: ((p: string) => string) | undefined): string {
  const line = typeof c.line === 'number' ? c.line : undefined;
  const file = c.path ? showPath(c.path) + (line !== undefined ? `:${line}` : '') : undefined;
  const repo = c.repo ? (path.isAbsolute(c.repo) && name ? name(c.repo) : c.repo) : undefined;
  // under its file's row the repo and path go without saying: only the line is said
  const where = name ? [repo, file].filter(Boolean).join('/') : line !== undefined ? `line ${line}` : '';
  const at = typeof c.at === 'string' && !Number.isNaN(Date.parse(c.at)) ? when(c.at) : '';
  const meta = [typeof c.step === 'number' ? `step ${c.step}` : '', where, c.author ? String(c.author) : '', at].filter(Boolean).join(' · ');
  return `${meta ? `<span class="comment-meta">${esc(meta)}</span> ` : ''}<span class="comment-text">${esc(c.text)}</span>`;
}

function sameRepo(given: string, repo: string): boolean {
  return given === repo || path.basename(repo) === given;
}

// ---------------------------------------------------------------------------------------------
// Small pieces

/** Folder names; the path from the common parent when two repos share a name. */
function repoNamer(paths: readonly string[]): (p: string) => string {
  const base = (p: string) => path.basename(p) || p;
  const counts = new Map<string, number>();
  for (const p of paths) counts.set(base(p), (counts.get(base(p)) ?? 0) + 1);
  const parent = commonParent(paths);
  return (p) => ((counts.get(base(p)) ?? 0) > 1 && parent ? path.relative(parent, p) || base(p) : base(p));
}

function commonParent(paths: readonly string[]): string | undefined {
  if (!paths.length) return undefined;
  let parts = path.dirname(paths[0]).split(path.sep);
  for (const p of paths.slice(1)) {
    const q = path.dirname(p).split(path.sep);
    let i = 0;
    while (i < parts.length && parts[i] === q[i]) i++;
    parts = parts.slice(0, i);
  }
  return parts.join(path.sep) || path.sep;
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function short(id: string | null | undefined): string {
  if (!id) return '—';
  return /^[0-9a-f]{40,64}$/.test(id) ? id.slice(0, 10) : id.replace(/^refs\/heads\//, '');
}

function ms(n: number): string {
  const v = Math.max(0, n);
  if (v < 1000) return `${Math.round(v)} ms`;
  if (v < 60_000) return `${(v / 1000).toFixed(v < 10_000 ? 2 : 1)} s`;
  return `${Math.floor(v / 60_000)} min ${Math.round((v % 60_000) / 1000)} s`;
}

function r1(n: number): string {
  return (Math.round(n * 10) / 10).toString();
}

/** UTC, to the millisecond: the page must not depend on the locale or time zone of whoever renders it. */
function when(iso: string): string {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? iso : `${new Date(t).toISOString().replace('T', ' ').replace('Z', '')} UTC`;
}

function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

/** The standalone page's look: light, or dark where the browser prefers it; print-friendly. */
const standaloneCss = `
:root { --fg: #1f2328; --muted: #59636e; --bg: #ffffff; --line: #d1d9e0; --code: #f6f8fa; --add: #dafbe1; --del: #ffebe9; --hunk: #ddf4ff;
  --ok: #1a7f37; --bad: #cf222e; --warn: #9a6700; --prepare: #8250df; --commit: #0969da; --check: #bf8700; --verify: #1a7f37; --compensate: #cf222e; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e6edf3; --muted: #9198a1; --bg: #0d1117; --line: #3d444d; --code: #151b23; --add: #12261e; --del: #2d1214; --hunk: #0c2d6b;
    --ok: #3fb950; --bad: #f85149; --warn: #d29922; --prepare: #a371f7; --commit: #4493f8; --check: #d29922; --verify: #3fb950; --compensate: #f85149; }
}
body { margin: 0; padding: 0 24px 32px; color: var(--fg); background: var(--bg); font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; }
.evidence-report { max-width: 1100px; margin: 0 auto; }
h1 { font-size: 1.6em; margin: 20px 0 4px; }
h2 { font-size: 1.2em; margin: 24px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 1.05em; margin: 16px 0 2px; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
pre { white-space: pre-wrap; background: var(--code); padding: 6px 8px; margin: 0; }
.muted, .count { color: var(--muted); }
.headline { margin: 0 0 8px; color: var(--muted); }
.outcome { display: inline-block; padding: 1px 10px; border-radius: 10px; font-weight: 600; color: #fff; background: var(--ok); }
.outcome-aborted { background: var(--bad); }
.problem { color: var(--bad); }
.facts dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 8px 0; }
.facts dl div { display: contents; }
.facts dt { color: var(--muted); }
.facts dd { margin: 0; overflow-wrap: anywhere; }
.gantt-wrap { overflow-x: auto; }
svg.gantt { max-width: 100%; height: auto; }
svg.gantt text { fill: var(--fg); font-size: 11px; font-family: system-ui, sans-serif; }
svg.gantt text.axis, svg.gantt text.none { fill: var(--muted); }
svg.gantt line.tick { stroke: var(--line); stroke-width: 1; }
svg.gantt g.whole text.label { font-weight: 600; }
svg.gantt rect.bar { stroke: none; }
svg.gantt rect.failed { stroke: var(--bad); stroke-width: 2; stroke-dasharray: 3 2; }
.bar.prepare, .swatch.prepare { fill: var(--prepare); background: var(--prepare); }
.bar.commit, .swatch.commit { fill: var(--commit); background: var(--commit); }
.bar.check, .swatch.check { fill: var(--check); background: var(--check); }
.bar.verify, .swatch.verify { fill: var(--verify); background: var(--verify); }
.bar.compensate, .swatch.compensate { fill: var(--compensate); background: var(--compensate); }
.swatch.failed { border: 2px dashed var(--bad); background: transparent; }
ul.legend { display: flex; gap: 14px; list-style: none; padding: 0; margin: 4px 0; color: var(--muted); }
.swatch { display: inline-block; width: 12px; height: 12px; border-radius: 2px; margin-right: 5px; vertical-align: -1px; }
table.states, table.data { border-collapse: collapse; margin: 6px 0; }
table.states th, table.states td, table.data th, table.data td { border: 1px solid var(--line); padding: 2px 8px; text-align: left; vertical-align: top; }
table.states thead th, table.data thead th { color: var(--muted); font-weight: 600; }
table.states td.differs { background: var(--del); }
table.data tr.failed td { color: var(--bad); }
.repo { border-top: 1px solid var(--line); margin-top: 10px; }
.repo-status { font-size: 0.8em; font-weight: normal; color: var(--muted); border: 1px solid var(--line); border-radius: 8px; padding: 0 6px; }
.status-compensated { color: var(--warn); }
ul.files, ul.notes, ul.comments { list-style: none; padding: 0; margin: 6px 0; }
ul.notes li { color: var(--warn); }
li.file summary { cursor: pointer; padding: 2px 0; }
li.file details[open] summary { font-weight: 600; }
.op { display: inline-block; min-width: 62px; font-size: 0.85em; padding: 0 4px; border: 1px solid var(--line); border-radius: 3px; text-align: center; }
.op-remove { color: var(--bad); }
.op-recreate { color: var(--ok); }
.op-restore { color: var(--commit); }
.counts .added { color: var(--ok); }
.counts .removed { color: var(--bad); }
.badge { font-size: 0.8em; padding: 0 6px; border-radius: 8px; background: var(--code); border: 1px solid var(--line); }
pre.patch { overflow-x: auto; white-space: pre; border: 1px solid var(--line); margin: 4px 0 10px; padding: 4px 0 4px 8px; background: var(--bg); }
pre.patch ins, pre.patch del, pre.patch .m { display: block; text-decoration: none; margin-left: -8px; padding-left: 8px; }
pre.patch ins { background: var(--add); }
pre.patch del { background: var(--del); }
pre.patch .m { color: var(--muted); background: var(--hunk); }
ul.comments li { border-left: 3px solid var(--line); padding: 2px 8px; margin: 4px 0; }
.comment-meta { color: var(--muted); }
footer { margin-top: 28px; border-top: 1px solid var(--line); color: var(--muted); font-size: 0.9em; }
@media print { .gantt-wrap { overflow: visible; } }
`;
