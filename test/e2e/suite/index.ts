// The extension-host entry named by runTests' extensionTestsPath: runs every *.test.js beside it with mocha
// and prints one line CI can read: `N passed, N failed, N skipped`. CODECONTEXT_E2E_GREP narrows the run.
import { readdirSync } from 'fs';
import * as path from 'path';
import { screenshot, screenshotCounting } from './screenshot';

export async function run(): Promise<void> {
  // mocha 12 is an ES module: import() loads it on any extension host (require of ESM needs Node >= 20.19).
  const { default: Mocha } = await import('mocha');
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 30_000, grep: process.env.CODECONTEXT_E2E_GREP });
  // runTests.ts opens VS Code twice: on the fixture workspace (every file but the empty folder's), then on
  // an empty folder (CODECONTEXT_E2E_EMPTY: that file alone)
  const emptyFolder = !!process.env.CODECONTEXT_E2E_EMPTY;
  for (const f of readdirSync(__dirname).sort()) {
    if (f.endsWith('.test.js') && (f === 'emptyFolder.test.js') === emptyFolder) mocha.addFile(path.join(__dirname, f));
  }
  // A failed test leaves a picture of the workbench as it was.
  mocha.suite.afterEach(async function () {
    const t = this.currentTest;
    if (t?.state === 'failed') {
      const file = await screenshot(`failed-${t.fullTitle()}`.replace(/[^\w.-]+/g, '_').slice(0, 100)).catch(() => undefined);
      if (file) console.log(`screenshot of the failure: ${file}`);
    }
  });
  // The whole suite must leave no error notification behind (the notification centre keeps them all).
  mocha.suite.afterAll(async function () {
    const vscode = await import('vscode');
    await vscode.commands.executeCommand('notifications.showList');
    const shot = await screenshotCounting('notifications-at-end', '.notifications-center .notification-list-item .codicon-error');
    await vscode.commands.executeCommand('notifications.hideList');
    if (shot && shot.count > 0) throw new Error(`${shot.count} error notification(s) were shown during the suite: see ${shot.path}`);
  });
  await mocha.loadFilesAsync();
  const stats = await new Promise<Mocha.Stats>((resolve) => {
    const runner = mocha.run(() => resolve(runner.stats!));
  });
  console.log(`${stats.passes} passed, ${stats.failures} failed, ${stats.pending} skipped`);
  if (stats.failures > 0) throw new Error(`${stats.failures} e2e test(s) failed`);
}
