import * as path from 'path';
import { parse } from 'shell-quote';
import { EngineError } from '../../util/errors';
import { OrphanGuard } from '../../util/orphanGuard';
import { runCommand } from '../../util/runCommand';
import { readText } from '../../util/quickFs';
import type { CheckResult } from '../records';

/**
 * Rolling verification: a team's own check (a build, a smoke test, a health probe) run in each
 * repo right after it commits, before any repo that must follow it starts. A check that fails or
 * hangs stops the rollback, and every committed repo goes back to its safety snapshot.
 *
 * The command is `--check CMD` for every repo, or a repo's own `"check"` in `.codecontext.json`
 * (as the rollback left it). It runs without a shell: CMD is split into words by shell-quote's
 * rules (quotes and backslashes as a shell reads them), and a pipe, redirection or `&&` is
 * refused rather than passed on as a word.
 */

export const defaultCheckTimeoutMs = 120_000;

/** The words of a check command; Usage when it holds shell syntax or nothing. */
export function checkWords(command: string): string[] {
  // a variable comes back as an object, so it is refused rather than expanded to nothing
  const words = parse(command, (name: string) => ({ variable: name }) as object);
  const bad = words.find((w) => typeof w !== 'string');
  if (bad !== undefined) {
    throw new EngineError(
      'Usage',
      `the check runs without a shell, so ${JSON.stringify(command)} cannot use ${describe(bad)}; put it in a script, or give sh -c '…' yourself`,
    );
  }
  if (words.length === 0) throw new EngineError('Usage', 'the check command is empty');
  return words as string[];
}

function describe(entry: unknown): string {
  const e = entry as { op?: string; comment?: string; pattern?: string; variable?: string };
  if (e.variable !== undefined) return e.variable === '' ? 'a $ substitution' : `the variable $${e.variable}`;
  if (e.op === 'glob') return `the glob ${e.pattern}`;
  if (e.op) return `"${e.op}"`;
  if (e.comment !== undefined) return 'a # comment';
  return 'shell syntax';
}

/** The check for one repo: `cli` when given, else the repo's `.codecontext.json` "check", else none. */
export function checkFor(repo: string, cli: string | undefined): string | undefined {
  if (cli) return cli;
  const text = readText(path.join(repo, '.codecontext.json'));
  if (!text) return undefined;
  try {
    const check = (JSON.parse(text) as { check?: unknown }).check;
    return typeof check === 'string' && check.trim() ? check : undefined;
  } catch {
    return undefined; // an unreadable config declares no check (dependency order reads it the same way)
  }
}

/** Runs the check in `repo`, in a process group of its own, killed (group and all) at `timeoutMs`. */
export async function runCheck(repo: string, command: string, timeoutMs: number, guard?: OrphanGuard): Promise<CheckResult> {
  const result = await runCommand(repo, checkWords(command), { timeoutMs, guard });
  return { repo, command, ...result };
}
