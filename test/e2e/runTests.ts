// Runs the e2e suite (out/test/e2e/suite) inside a real VS Code extension host.
// Here: scripts/e2e/codeWrapper.js stands in for VS Code (code-server + headless Chromium), installed by
// scripts/e2e/setup.sh. On a laptop with desktop VS Code: CODECONTEXT_E2E_VSCODE=desktop lets
// @vscode/test-electron download and drive it instead; or CODECONTEXT_E2E_VSCODE=/path/to/code.
import { execFileSync } from 'child_process';
import { mkdirSync, rmSync, writeFileSync } from 'fs';
import * as path from 'path';
import { runTests } from '@vscode/test-electron';

const root = path.resolve(__dirname, '../../..');
const cache = path.join(root, '.vscode-test');
const run = path.join(cache, 'run'); // kept after a run (logs are in user-data/logs), replaced by the next

/** A fresh workspace folder holding one git repo, so `workspaceContains:.git` is true as for a user. */
function makeWorkspace(dir: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'README.md'), '# e2e workspace\n');
  const env = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_DATE: '2024-01-01T00:00:00Z', GIT_COMMITTER_DATE: '2024-01-01T00:00:00Z' };
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=e2e', '-c', 'user.email=e2e@example.com', '-c', 'commit.gpgsign=false', ...args], { cwd: dir, env, stdio: 'ignore' });
  git('init', '-q', '-b', 'main');
  git('add', '.');
  git('commit', '-q', '-m', 'initial');
}

async function main(): Promise<void> {
  rmSync(run, { recursive: true, force: true });
  const artifacts = process.env.CODECONTEXT_E2E_ARTIFACTS || path.join(cache, 'artifacts');
  // a picture left by an earlier run must not pass for one of this run (only our own folder is emptied)
  if (!process.env.CODECONTEXT_E2E_ARTIFACTS) rmSync(artifacts, { recursive: true, force: true });
  const workspace = path.join(run, 'workspace');
  makeWorkspace(workspace);
  const which = process.env.CODECONTEXT_E2E_VSCODE;
  const vscodeExecutablePath =
    which === 'desktop' ? undefined : which || path.join(root, 'scripts/e2e/codeWrapper.js');
  await runTests({
    vscodeExecutablePath,
    version: '1.100.3', // only used when test-electron downloads desktop VS Code
    extensionDevelopmentPath: root,
    extensionTestsPath: path.join(__dirname, 'suite', 'index'),
    launchArgs: [
      workspace,
      `--user-data-dir=${path.join(run, 'user-data')}`,
      `--extensions-dir=${path.join(run, 'extensions')}`,
      '--disable-extensions', // other installed extensions stay out; the one in development still loads
    ],
    extensionTestsEnv: { CODECONTEXT_E2E_ARTIFACTS: artifacts },
  });
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
