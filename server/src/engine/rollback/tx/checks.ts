import { checkWords } from '../plan/repoChecks';
import { OrphanGuard } from '../../util/orphanGuard';
import { runCommand } from '../../util/runCommand';
import type { CheckResult } from '../records';

/**
 * Rolling verification: a team's own check (a build, a smoke test, a health probe) run in each
 * repo right after it commits, before any repo that must follow it starts. A check that fails or
 * hangs stops the rollback, and every committed repo goes back to its safety snapshot.
 *
 * The command is `--check CMD` for every repo, or a repo's own `"check"` in `.codecontext.json`
 * once the user consented to it: plan/repoChecks.ts decides which, before anything is locked, and
 * the transaction runs what it was given. It runs without a shell: CMD is split into words by shell-quote's
 * rules (quotes and backslashes as a shell reads them), and a pipe, redirection or `&&` is
 * refused rather than passed on as a word.
 */

export const defaultCheckTimeoutMs = 120_000;

export { checkWords };

/** Runs the check in `repo`, in a process group of its own, killed (group and all) at `timeoutMs`. */
export async function runCheck(repo: string, command: string, timeoutMs: number, guard?: OrphanGuard): Promise<CheckResult> {
  const result = await runCommand(repo, checkWords(command), { timeoutMs, guard });
  return { repo, command, ...result };
}
