// Runs the e2e suite (out/test/e2e/suite) inside a real VS Code extension host.
// Here: scripts/e2e/codeWrapper.js stands in for VS Code (code-server + headless Chromium), installed by
// scripts/e2e/setup.sh. On a laptop with desktop VS Code: CODECONTEXT_E2E_VSCODE=desktop lets
// @vscode/test-electron download and drive it instead; or CODECONTEXT_E2E_VSCODE=/path/to/code.
import { createHash } from 'crypto';
import { execFileSync, spawnSync } from 'child_process';
import * as os from 'os';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'fs';
import * as path from 'path';
import { runTests } from '@vscode/test-electron';

const root = path.resolve(__dirname, '../../..');
const cache = path.join(root, '.vscode-test');
const run = path.join(cache, 'run'); // kept after a run (logs are in user-data/logs), replaced by the next
// The repos live outside this checkout (a folder inside it would be part of its repo); one per checkout.
const workspaceRoot = path.join(os.tmpdir(), `codecontext-e2e-${createHash('sha256').update(root).digest('hex').slice(0, 8)}`);

// The whole session (code-server, the extension host, our server, git) runs with an empty HOME of its own,
// as the mocha suites do (test/helpers/tempHome.ts): nothing in the developer's ~/.gitconfig changes what it sees.
const home = `${workspaceRoot}-home`;
rmSync(home, { recursive: true, force: true });
mkdirSync(home, { recursive: true });
process.env.HOME = home;
delete process.env.XDG_CONFIG_HOME;

const gitEnv = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_DATE: '2024-01-01T00:00:00Z', GIT_COMMITTER_DATE: '2024-01-01T00:00:00Z' };

/** A git repo at `dir` holding `files` (text, or bytes), committed once. */
function makeRepo(dir: string, files: Record<string, string | Buffer>): void {
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), content);
  }
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=e2e', '-c', 'user.email=e2e@example.com', '-c', 'commit.gpgsign=false', ...args], {
      cwd: dir,
      env: gitEnv,
      stdio: 'ignore',
    });
  git('init', '-q', '-b', 'main');
  git('add', '.');
  git('commit', '-q', '-m', 'initial');
}

/** Runs the project's CLI (dist/cli.js) on the test store and returns its --json answer. */
function cli(store: string, cwd: string, ...args: string[]): Record<string, unknown> {
  const out = execFileSync(process.execPath, [path.join(root, 'dist', 'cli.js'), '--store', store, '--json', ...args], { cwd, env: gitEnv, encoding: 'utf8' });
  return JSON.parse(out) as Record<string, unknown>;
}

/** What the suite finds in the workspace and the store (written to fixture.json; see suite/fixture.ts). */
export interface Fixture {
  workspace: string;
  store: string;
  cli: string;
  repos: { alpha: string; beta: string; gamma: string };
  /** A snapshot outside any campaign, taken before the campaign began. */
  snapshot: string;
  campaign: { id: string; name: string; baseline: string; steps: number };
}

/**
 * A workspace folder of three repos and a store that already holds what a user would have made
 * with the CLI before opening VS Code: a snapshot, then a campaign of three steps (a rename that
 * modifies, adds and deletes files; a binary change; a command run in every repo). The workspace
 * settings point `codecontext.storePath` at that store.
 */
function makeWorkspace(workspace: string, store: string): Fixture {
  // The workspace must not sit inside another repo (this checkout!): discovery would find that repo
  // instead, and the suite's rollbacks would roll the checkout itself back.
  mkdirSync(workspace, { recursive: true });
  const outer = spawnSync('git', ['rev-parse', '--show-toplevel'], { cwd: workspace, env: gitEnv, encoding: 'utf8' });
  if (outer.status === 0) throw new Error(`the e2e workspace ${workspace} is inside the git repo ${outer.stdout.trim()}; refusing to run`);
  const ts = (name: string) => `import { logger } from './logger';\n\nexport function main(): void {\n  logger.info('${name} starts');\n}\n`;
  const repos = { alpha: path.join(workspace, 'alpha'), beta: path.join(workspace, 'beta'), gamma: path.join(workspace, 'gamma') };
  makeRepo(repos.alpha, {
    'README.md': '# alpha\n',
    'src/index.ts': ts('alpha'),
    'src/logger.ts': 'export const logger = console;\n',
    'assets/logo.bin': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01, 0x02, 0x03]),
  });
  makeRepo(repos.beta, { 'README.md': '# beta\n', 'src/index.ts': ts('beta'), 'old.txt': 'to be deleted by the campaign\n' });
  makeRepo(repos.gamma, { 'README.md': '# gamma\n', 'src/index.ts': ts('gamma') });
  mkdirSync(path.join(workspace, '.vscode'), { recursive: true });
  writeFileSync(
    path.join(workspace, '.vscode', 'settings.json'),
    JSON.stringify({ 'codecontext.storePath': store, 'codecontext.autoCheckpoint': false }, null, 2) + '\n',
  );

  const snapshot = cli(store, workspace, 'snapshot', 'create', '--root', workspace, '-m', 'before the codemod').id as string;
  // an edit after the snapshot, so the campaign's baseline is a snapshot of its own
  writeFileSync(path.join(repos.gamma, 'NOTES.md'), 'work in progress\n');
  const started = cli(store, workspace, 'campaign', 'start', 'rename-logger', '--root', workspace);
  const id = started.id as string;
  const found = JSON.stringify(started.repos);
  if (found !== JSON.stringify(Object.values(repos))) throw new Error(`the campaign found ${found}, not the three fixture repos; refusing to run`);
  for (const dir of Object.values(repos)) {
    const file = path.join(dir, 'src', 'index.ts');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/logger/g, 'log'));
  }
  rmSync(path.join(repos.beta, 'old.txt'));
  writeFileSync(path.join(repos.gamma, 'src', 'log.ts'), 'export const log = console;\n');
  cli(store, workspace, 'campaign', 'checkpoint', id, '-m', 'rename logger to log');
  writeFileSync(path.join(repos.alpha, 'assets', 'logo.bin'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x09, 0x09]));
  cli(store, workspace, 'campaign', 'checkpoint', id, '-m', 'new logo');
  cli(store, workspace, 'campaign', 'run', id, '--', 'node', '-e', "require('fs').appendFileSync('README.md', '\\nMaintained by the platform team.\\n')");
  return {
    workspace,
    store,
    cli: path.join(root, 'dist', 'cli.js'),
    repos,
    snapshot,
    campaign: { id, name: 'rename-logger', baseline: started.baseline as string, steps: 3 },
  };
}

async function main(): Promise<void> {
  rmSync(run, { recursive: true, force: true });
  rmSync(workspaceRoot, { recursive: true, force: true });
  const artifacts = process.env.CODECONTEXT_E2E_ARTIFACTS || path.join(cache, 'artifacts');
  // a picture left by an earlier run must not pass for one of this run (only our own folder is emptied)
  if (!process.env.CODECONTEXT_E2E_ARTIFACTS) rmSync(artifacts, { recursive: true, force: true });
  const workspace = path.join(workspaceRoot, 'workspace');
  const started = Date.now();
  const fixture = makeWorkspace(workspace, path.join(run, 'store'));
  const fixtureFile = path.join(run, 'fixture.json');
  writeFileSync(fixtureFile, JSON.stringify(fixture, null, 2));
  console.log(`fixtures: 3 repos, a snapshot and a 3-step campaign made with the CLI in ${Date.now() - started} ms`);
  const which = process.env.CODECONTEXT_E2E_VSCODE;
  const vscodeExecutablePath = which === 'desktop' ? undefined : which || path.join(root, 'scripts/e2e/codeWrapper.js');
  await runTests({
    vscodeExecutablePath,
    version: '1.100.3', // only used when test-electron downloads desktop VS Code
    // beside ours, a test-only chat participant (test/e2e/chatParticipant): it invokes our tools inside a chat
    // request, where VS Code shows their confirmations (suite/chatConfirm.test.ts)
    extensionDevelopmentPath: [root, path.join(root, 'test', 'e2e', 'chatParticipant')],
    extensionTestsPath: path.join(__dirname, 'suite', 'index'),
    launchArgs: [
      workspace,
      `--user-data-dir=${path.join(run, 'user-data')}`,
      `--extensions-dir=${path.join(run, 'extensions')}`,
      '--disable-extensions', // other installed extensions stay out; the one in development still loads
    ],
    extensionTestsEnv: { CODECONTEXT_E2E_ARTIFACTS: artifacts, CODECONTEXT_E2E_FIXTURE: fixtureFile },
  });

  // A second, short session on a folder without any repository: what a user opening the wrong folder sees. It
  // shares the first session's store, as two windows of one user do: the other folder's work must stay out of it.
  const empty = path.join(workspaceRoot, 'empty');
  mkdirSync(path.join(empty, '.vscode'), { recursive: true });
  writeFileSync(path.join(empty, '.vscode', 'settings.json'), JSON.stringify({ 'codecontext.storePath': fixture.store }, null, 2) + '\n');
  await runTests({
    vscodeExecutablePath,
    version: '1.100.3',
    extensionDevelopmentPath: root,
    extensionTestsPath: path.join(__dirname, 'suite', 'index'),
    // its own extensions folder: the first session's holds the test-only chat participant (see codeWrapper.js)
    launchArgs: [
      empty,
      `--user-data-dir=${path.join(run, 'user-data-empty')}`,
      `--extensions-dir=${path.join(run, 'extensions-empty')}`,
      '--disable-extensions',
    ],
    extensionTestsEnv: { CODECONTEXT_E2E_ARTIFACTS: artifacts, CODECONTEXT_E2E_FIXTURE: fixtureFile, CODECONTEXT_E2E_EMPTY: empty },
  });
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
