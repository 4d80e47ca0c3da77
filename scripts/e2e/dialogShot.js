#!/usr/bin/env node
// `npm run shot:dialog`: a picture of the one-click restore's modal confirmation. VS Code refuses
// modal dialogs while extension tests run, so this opens the workbench normally (code-server in
// headless Chromium, the extension in development) on the demo workspace, runs "CodeContext:
// Rollback to Snapshot…", picks the codemod's checkpoint and saves the quick pick and the dialog as
// .vscode-test/artifacts/{rollback-quick-pick,confirm-dialog}.png. It never presses "Roll Back".
const { spawn, execFileSync } = require('child_process');
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');
const { launchChromium } = require('./chromium');

const root = path.resolve(__dirname, '../..');
const entry = path.join(root, '.vscode-test/code-server/node_modules/code-server/out/node/entry.js');
const artifacts = path.join(root, '.vscode-test/artifacts');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'codecontext-shot-'));
const wait = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function main() {
  execFileSync(process.execPath, [path.join(root, 'scripts/demo.mjs'), work], { stdio: 'ignore' });
  const folder = path.join(work, 'repos');
  fs.mkdirSync(path.join(folder, '.vscode'), { recursive: true });
  fs.writeFileSync(path.join(folder, '.vscode/settings.json'), JSON.stringify({ 'codecontext.storePath': path.join(work, 'store') }));
  const userData = path.join(work, 'user-data');
  fs.mkdirSync(path.join(userData, 'User'), { recursive: true });
  fs.writeFileSync(
    path.join(userData, 'User/settings.json'),
    JSON.stringify({ 'security.workspace.trust.enabled': false, 'workbench.startupEditor': 'none', 'git.openRepositoryInParentFolders': 'never' }),
  );
  const port = await freePort();
  const server = spawn(
    process.execPath,
    [
      entry,
      '--config',
      path.join(work, 'code-server.yaml'),
      '--auth',
      'none',
      '--bind-addr',
      `127.0.0.1:${port}`,
      '--user-data-dir',
      userData,
      '--extensions-dir',
      path.join(work, 'extensions'),
      '--disable-telemetry',
    ],
    {
      env: {
        ...process.env,
        XDG_DATA_HOME: path.join(work, 'xdg'),
        EXTENSIONS_GALLERY: JSON.stringify({ serviceUrl: 'http://127.0.0.1:9/gallery', itemUrl: 'http://127.0.0.1:9/item' }),
      },
      stdio: 'ignore',
      detached: true,
    },
  );
  const browser = await launchChromium();
  let page;
  try {
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const payload = JSON.stringify([
      ['extensionDevelopmentPath', `vscode-remote://127.0.0.1:${port}${root}`],
      ['skipWelcome', 'true'],
    ]);
    const url = `http://127.0.0.1:${port}/?folder=${encodeURIComponent(folder)}&payload=${encodeURIComponent(payload)}`;
    for (let i = 0; ; i++) {
      try {
        await page.goto(url);
        break;
      } catch (e) {
        if (i > 40) throw e;
        await wait(250); // code-server still starting
      }
    }
    await page.locator('.activitybar [aria-label^="CodeContext"]').first().click({ timeout: 60000 });
    // the demo's campaign, named as the seed's commands name it
    await page.getByText('camp_abc123').first().waitFor({ timeout: 60000 });
    await page.keyboard.press('F1');
    await page.keyboard.type('CodeContext: Rollback to Snapshot');
    await page.locator('.quick-input-list .monaco-list-row').first().waitFor({ timeout: 30000 });
    await page.keyboard.press('Enter');
    await page.locator('.quick-input-list .monaco-list-row .monaco-icon-label').filter({ hasText: 'snap_' }).first().waitFor({ timeout: 60000 });
    // the demo ends rolled back to its baseline, so the codemod's checkpoint is the one a rollback would change
    await page.keyboard.type('codemod');
    await page.locator('.quick-input-list .monaco-list-row').filter({ hasText: 'would change' }).first().waitFor({ timeout: 30000 });
    fs.mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: path.join(artifacts, 'rollback-quick-pick.png') });
    await page.keyboard.press('Enter');
    await page.locator('.monaco-dialog-box').waitFor({ timeout: 60000 });
    await page.screenshot({ path: path.join(artifacts, 'confirm-dialog.png') });
    console.log(`saved ${path.join(artifacts, 'confirm-dialog.png')}`);
  } catch (e) {
    // what the page showed when a step timed out, to see why
    fs.mkdirSync(artifacts, { recursive: true });
    await page?.screenshot({ path: path.join(artifacts, 'dialog-shot-failed.png') }).catch(() => undefined);
    throw e;
  } finally {
    await browser.close();
    try {
      process.kill(-server.pid);
    } catch {
      // already gone
    }
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(`dialog shot failed: ${e.message}`);
  process.exit(1);
});
