// For the tests that make repos and a campaign of their own (preview, webviews, review), so that they do not depend
// on what the other files did to the shared fixture: git with a fixed author and dates, the CLI's JSON answer, and a
// file written with its folders.
import { execFileSync } from 'child_process';
import { mkdirSync, writeFileSync } from 'fs';
import * as path from 'path';
import { fixture } from './fixture';

export const gitEnv = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_DATE: '2024-01-01T00:00:00Z', GIT_COMMITTER_DATE: '2024-01-01T00:00:00Z' };

/** git in `repo`, committing as `name <email>`. */
export function gitAs(name: string, email: string): (repo: string, ...args: string[]) => string {
  return (repo, ...args) =>
    execFileSync('git', ['-c', `user.name=${name}`, '-c', `user.email=${email}`, '-c', 'commit.gpgsign=false', ...args], {
      cwd: repo,
      env: gitEnv,
      encoding: 'utf8',
    });
}

export const git = gitAs('e2e', 'e2e@example.com');

/** The CLI's `--json` answer on the test store. */
export function cli(...args: string[]): Record<string, unknown> {
  const f = fixture();
  return JSON.parse(execFileSync(process.execPath, [f.cli, '--store', f.store, '--json', ...args], { cwd: f.workspace, encoding: 'utf8' })) as Record<
    string,
    unknown
  >;
}

export function write(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
}
