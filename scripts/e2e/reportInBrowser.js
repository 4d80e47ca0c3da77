// Opens an evidence pack's standalone HTML report (evidence-rb_<id>.html, a file:// page) in headless Chromium
// with the network blocked, and says what the page did: every request it attempted, every one that was not
// file:// (aborted, and a failure of the report), Content-Security-Policy complaints, what it drew. Used by the
// evidence tests (test/cli/evidenceReport.test.ts and the e2e suite's evidence.test.ts), which assert on that.
//   node scripts/e2e/reportInBrowser.js <report.html> <screenshot.png>
// Environment: CHROMIUM_PATH (default /usr/bin/chromium).
/* global document, getComputedStyle */ // what page.evaluate runs is the page's code
'use strict';
const fs = require('fs');
const path = require('path');
const { pathToFileURL } = require('url');
const { chromiumAvailable, launchChromium } = require('./chromium');

/**
 * Renders `htmlFile` offline and, when `screenshot` is given, saves a full-page PNG there.
 * Resolves to { requests, blocked, cspErrors, consoleErrors, title, bars, repos, files, outcomeColour, text }.
 */
async function renderReport(htmlFile, screenshot) {
  const browser = await launchChromium();
  try {
    const context = await browser.newContext({ viewport: { width: 1100, height: 900 }, offline: true, javaScriptEnabled: true });
    const requests = [];
    const blocked = [];
    // everything not file:// is aborted before it leaves, and counted: the report must ask for nothing
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('file://')) return route.continue();
      blocked.push(url);
      return route.abort('blockedbyclient');
    });
    const page = await context.newPage();
    page.on('request', (r) => requests.push(r.url()));
    const cspErrors = [];
    const consoleErrors = [];
    page.on('console', (m) => {
      if (m.type() !== 'error' && m.type() !== 'warning') return;
      if (/Content Security Policy/i.test(m.text())) cspErrors.push(m.text());
      else if (m.type() === 'error') consoleErrors.push(m.text());
    });
    await page.goto(pathToFileURL(path.resolve(htmlFile)).href, { waitUntil: 'load' });
    // open every file's diff, as a reader scrolling the ticket would
    const drawn = await page.evaluate(() => {
      for (const d of document.querySelectorAll('li.file details')) d.open = true;
      const outcome = document.querySelector('.outcome');
      return {
        title: document.title,
        bars: document.querySelectorAll('svg.gantt rect.bar').length,
        repos: [...document.querySelectorAll('[data-probe="repo"]')].map((e) => e.getAttribute('data-label')),
        files: [...document.querySelectorAll('[data-probe="file"]')].map((e) => e.getAttribute('data-label')),
        diffs: document.querySelectorAll('pre.patch').length,
        outcomeColour: outcome ? getComputedStyle(outcome).backgroundColor : '',
        scripts: document.scripts.length,
        text: document.body.innerText,
      };
    });
    if (screenshot) {
      fs.mkdirSync(path.dirname(screenshot), { recursive: true });
      await page.screenshot({ path: screenshot, fullPage: true });
    }
    await context.close();
    return { requests, blocked, cspErrors, consoleErrors, ...drawn };
  } finally {
    await browser.close();
  }
}

module.exports = { renderReport, chromiumAvailable };

if (require.main === module) {
  const [html, png] = process.argv.slice(2);
  renderReport(html, png).then(
    (r) => console.log(JSON.stringify({ ...r, text: `${r.text.slice(0, 400)}…` }, null, 2)),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
