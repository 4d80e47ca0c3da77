import * as readline from 'readline';
import type { RollbackPlan } from '../engine/rollback/plan/plan';
import { CheckDecision, RepoCheck, consentedChecks, decideChecks, recordConsent, repoChecksOf, showCommand } from '../engine/rollback/plan/repoChecks';
import { CliContext } from './command';
import { displayPath } from './format';

/** How a refused rollback tells a terminal user to go on: the same words in --help. */
export const howToConsent = 'run again with --trust-repo-checks to allow it (asked once per command), or --skip-repo-checks to roll back without running it';

/**
 * The rollback's checks as the engine decides them (plan/repoChecks.ts), with the CLI's ways to
 * consent: `--trust-repo-checks` records consent to every listed command; on a terminal (stdin and
 * stderr both TTYs, no --json) each command not yet allowed is asked about, y/N; otherwise, or on
 * "no", the rollback is refused before anything is locked, unless `--skip-repo-checks` leaves it out.
 */
export async function checksForRollback(
  ctx: CliContext,
  plan: RollbackPlan,
  options: { check?: string; trust: boolean; skip: boolean },
): Promise<CheckDecision> {
  if (options.check !== undefined) return decideChecks(plan, [], { check: options.check, allowed: () => false, unallowed: 'refuse', howToConsent });
  const repoChecks = await repoChecksOf(plan, ctx.parallelism);
  let allowed = await consentedChecks(ctx.store);
  const asked = repoChecks.filter((c) => !allowed(c));
  if (asked.length && !options.skip) {
    const yes = options.trust ? asked : interactive(ctx) ? await ask(asked) : [];
    if (yes.length) {
      await recordConsent(ctx.store, yes);
      allowed = await consentedChecks(ctx.store);
    }
  }
  return decideChecks(plan, repoChecks, { allowed, unallowed: options.skip ? 'skip' : 'refuse', howToConsent });
}

/** The repo checks a dry run shows, each marked when it still needs consent. */
export async function checksToShow(ctx: CliContext, plan: RollbackPlan, check?: string): Promise<Map<string, string>> {
  const shown = new Map<string, string>();
  if (check !== undefined) {
    for (const r of plan.repos) shown.set(r.path, check);
    return shown;
  }
  const allowed = await consentedChecks(ctx.store);
  for (const c of await repoChecksOf(plan, ctx.parallelism)) {
    shown.set(c.repo, `${showCommand(c.command)}  (its .codecontext.json${allowed(c) ? ', allowed' : '; needs --trust-repo-checks'})`);
  }
  return shown;
}

export function reportSkipped(skipped: readonly RepoCheck[], why: string): void {
  for (const c of skipped) process.stderr.write(`codecontext: not running ${displayPath(c.repo)}'s check \`${showCommand(c.command)}\` (${why})\n`);
}

function interactive(ctx: CliContext): boolean {
  return !ctx.json && !!process.stdin.isTTY && !!process.stderr.isTTY;
}

/** Asks about each command on the terminal; resolves to those answered yes. */
async function ask(checks: readonly RepoCheck[]): Promise<RepoCheck[]> {
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  const yes: RepoCheck[] = [];
  try {
    // the progress line (cli/progressLine.ts) is cleared first, so the question starts a line of its own
    process.stderr.write(
      `\r\x1b[K${checks.length} repo${checks.length === 1 ? '' : 's'} ask to run a check of their own after they roll back (from their ` +
        '.codecontext.json, which the campaign may have written; allow only commands you trust):\n',
    );
    for (const c of checks) {
      const answer = await new Promise<string>((resolve) => {
        rl.question(`  ${displayPath(c.repo)}: run \`${showCommand(c.command)}\`? [y/N] `, resolve);
        rl.once('close', () => resolve(''));
      });
      if (/^y(es)?$/i.test(answer.trim())) yes.push(c);
    }
  } finally {
    rl.close();
  }
  return yes;
}
