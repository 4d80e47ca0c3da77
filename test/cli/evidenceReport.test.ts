import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { checkpointCampaign, startCampaign } from '../../server/src/engine/campaign/campaign';
import type { EvidencePack } from '../../server/src/engine/rollback/evidence/pack';
import { renderEvidenceReport, reportFileName } from '../../server/src/engine/rollback/evidence/report';
import { sha256 } from '../../server/src/engine/util/canonical';
import { Store } from '../../server/src/engine/store/store';
import type * as ReportInBrowser from '../../scripts/e2e/reportInBrowser';
import { RepoKit, changeEveryKind, runCli, seedEveryKind } from '../helpers/repoKit';

const checkout = path.resolve(__dirname, '../../..');
// plain JS beside the e2e wrapper: the e2e suite opens the same page the same way
// eslint-disable-next-line @typescript-eslint/no-require-imports
const browser = require(path.join(checkout, 'scripts/e2e/reportInBrowser.js')) as typeof ReportInBrowser;

/**
 * The evidence pack as a page (issue 15, point 17): `evidence-rb_<id>.html` beside the JSON, a pure
 * rendering of the pack, covered by its hash under the digest; it opens in a browser with no network.
 */
describe('the evidence report (HTML)', function () {
  const kit = new RepoKit();
  let store: string;
  let rb: string;
  let packFile: string;
  let pack: EvidencePack;
  let htmlFile: string;

  before(async function () {
    const { root, repos } = kit.copies(seedEveryKind(kit.repo(path.join(kit.tempDir('cc-tpl-'), 'template'))), 2);
    store = kit.tempDir('cc-store-');
    const ctx = { store: new Store(store) };
    const { id: campaign } = await startCampaign(ctx, 'every kind', [root]);
    repos.forEach((r, i) => changeEveryKind(r, i === 0));
    await checkpointCampaign(ctx, campaign);
    const r = runCli(['rollback', '--campaign', campaign, '--force', '--json'], { store, cwd: root });
    assert.strictEqual(r.status, 0, r.stderr);
    rb = JSON.parse(r.stdout).id;
    packFile = path.join(store, 'rollbacks', rb, `evidence-${rb}.json`);
    pack = JSON.parse(fs.readFileSync(packFile, 'utf8'));
    htmlFile = path.join(path.dirname(packFile), reportFileName(rb));
  });
  after(() => kit.cleanup());

  it('records when each phase ran in each repo (prepare, commit, verify), inside the transaction’s own phases', function () {
    for (const r of pack.repos) {
      const names = (r.timings ?? []).map((t) => t.name);
      assert.deepStrictEqual(names, ['prepare', 'commit', 'verify'], r.path);
      for (const t of r.timings!) {
        const phase = pack.phases.find((p) => p.name === t.name)!;
        assert.ok(t.ok && t.ms >= 0);
        assert.ok(
          Date.parse(t.startedAt) >= Date.parse(phase.startedAt) && Date.parse(t.startedAt) + t.ms <= Date.parse(phase.endedAt!) + 1,
          `${t.name} inside its phase`,
        );
      }
    }
  });

  it('writes the page beside the pack: no script, no network, inline CSS allowed by its hash in a strict CSP; the pack holds its sha256', function () {
    const html = fs.readFileSync(htmlFile, 'utf8');
    assert.deepStrictEqual(pack.report, { file: reportFileName(rb), sha256: sha256(html) });
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1] ?? '';
    assert.match(csp, /^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/=]+'; img-src 'none'/);
    assert.doesNotMatch(html, /<script|\bstyle="|\bon\w+="|https?:\/\/(?!www\.w3\.org\/2000\/svg")/i);
    // what a reader looks for: outcome, target, who, the timeline, states, each file with its inverse diff
    assert.match(html, /<span class="outcome outcome-committed">Committed<\/span>/);
    assert.match(html, /Rollback to every kind baseline/);
    assert.match(html, /<svg class="gantt"/);
    assert.strictEqual((html.match(/<rect class="bar /g) ?? []).length, 3 + 3 * 2, 'the three phases, and three per repo');
    assert.match(html, /<th scope="row">before<\/th>[\s\S]*<th scope="row">target<\/th>[\s\S]*<th scope="row">after<\/th>/);
    assert.match(html, /data-label="repo-00\/a\.txt"[\s\S]*<span class="op op-restore">restore<\/span>[\s\S]*<ins>\+line 2\n<\/ins>/);
    assert.match(html, /data-label="repo-00\/gone\.txt"[\s\S]*op-recreate/);
    // the same pack renders the same bytes
    const { digest: _d, report: _r, ...body } = pack;
    assert.strictEqual(renderEvidenceReport(body, fs.readFileSync(path.join(path.dirname(packFile), 'inverse.patch'), 'utf8')), html);
  });

  it('renders review comments when the pack has them, as text', function () {
    const { digest: _d, report: _r, ...body } = pack;
    const repo = pack.repos[0].path;
    const withComments = {
      ...body,
      comments: [
        { repo, path: 'a.txt', line: 2, author: 'rev', text: '<b>why</b> this line?', at: '2026-01-02T03:04:05.000Z' },
        { step: 1, text: 'step looks fine' },
        { bogus: true },
      ],
    };
    const html = renderEvidenceReport(withComments as typeof body, '');
    assert.match(html, /Review comments <span class="count">2<\/span>/);
    assert.match(html, /step 1<\/span> <span class="comment-text">step looks fine/);
    assert.match(html, /repo-00\/a\.txt:2 · rev · 2026-01-02 03:04:05\.000 UTC<\/span> <span class="comment-text">&#60;b&#62;why&#60;\/b&#62; this line\?/);
    assert.match(html, /data-label="repo-00\/a\.txt"[^]*?<span class="badge">1 comment<\/span>/);
  });

  it('verify checks the page like the patch file: an edited page fails, by name', function () {
    const ok = runCli(['evidence', 'verify', rb], { store });
    assert.strictEqual(ok.status, 0, ok.stdout);
    const original = fs.readFileSync(htmlFile);
    try {
      fs.writeFileSync(htmlFile, original.toString('utf8').replace('>Committed<', '>Committed (all good)<'));
      const bad = runCli(['evidence', 'verify', rb], { store });
      assert.strictEqual(bad.status, 1, bad.stdout);
      assert.match(bad.stdout, /the HTML report was modified after it was written: .*evidence-rb_[0-9a-f]+\.html/);
      fs.rmSync(htmlFile);
      assert.match(runCli(['evidence', 'verify', rb], { store }).stdout, /report file is missing/);
    } finally {
      fs.writeFileSync(htmlFile, original);
    }
    assert.match(runCli(['evidence', 'show', rb], { store }).stdout, /^report: .*\.html \(the same, as a page for any browser\)$/m);
  });

  it('renders in headless Chromium from the pack’s folder with every request not file:// aborted, and none attempted', async function () {
    if (!browser.chromiumAvailable()) {
      console.log('      (skipped: no chromium at /usr/bin/chromium or $CHROMIUM_PATH)');
      this.skip();
    }
    this.timeout(60_000);
    const png = path.join(checkout, '.vscode-test', 'artifacts', 'evidence-report-standalone-cli.png');
    const r = await browser.renderReport(htmlFile, png);
    assert.deepStrictEqual(r.blocked, [], 'the page asked for something off this machine');
    assert.ok(
      r.requests.every((u) => u.startsWith('file://')),
      r.requests.join('\n'),
    );
    assert.deepStrictEqual(r.cspErrors, [], 'the inline style must be allowed by its hash');
    assert.deepStrictEqual(r.consoleErrors, []);
    assert.strictEqual(r.scripts, 0);
    assert.deepStrictEqual(r.repos, ['repo-00', 'repo-01']);
    assert.ok(r.files.includes('repo-00/a.txt') && r.files.includes('repo-01/img.bin'), r.files.join(', '));
    assert.strictEqual(r.bars, 9);
    assert.notStrictEqual(r.outcomeColour, 'rgba(0, 0, 0, 0)', 'the stylesheet applied');
    assert.match(r.text, /Timeline[\s\S]*Repositories/);
    assert.ok(fs.statSync(png).size > 10_000);
  });
});
