import { parse } from 'shell-quote';
import { readObjects } from '../../git/objectReader';
import { RepoState, sameState } from '../../repo/repoState';
import { Store } from '../../store/store';
import { EngineError, asEngineError } from '../../util/errors';
import { mapLimit } from '../../util/pool';
import { showPath } from '../../util/pathBytes';
import type { RollbackPlan } from './plan';

/**
 * Which rolling check each repo of a plan runs, decided before anything is locked or journaled,
 * the same way for the CLI, the server and any later caller: the transaction runs exactly the
 * commands this decides (its `checks` option) and never reads a repo's config itself.
 *
 * A repo's own check (`"check"` in its `.codecontext.json`) is repo content, and repo content is
 * what the campaign being rolled back wrote: it runs only once the user consented to that exact
 * command in that repo. Consent is kept in the store (`consent/repoChecks.json`), keyed by the
 * repo's path and the command's text, so a changed command asks again. A `--check CMD` the user
 * typed is their own and needs none.
 */

/** A repo's own check: the command in its `.codecontext.json` as the rollback leaves it. */
export interface RepoCheck {
  repo: string;
  command: string;
}

export interface CheckDecision {
  /** The command each repo runs right after it commits (the transaction's `checks` option); a repo not named runs none. */
  run: Record<string, string>;
  /** Repo checks that will not run: not consented to when skipping was asked for, or not run by the rollback an undo undoes. */
  skipped: RepoCheck[];
}

/** The refusal of a plan whose repo checks lack consent; `checks` lists every one, the message names the first. */
export class ChecksNeedConsent extends EngineError {
  constructor(
    readonly checks: RepoCheck[],
    howToConsent: string,
  ) {
    const first = checks[0];
    const more = checks.length > 1 ? ` (and ${checks.length - 1} more repo check${checks.length > 2 ? 's' : ''})` : '';
    super(
      'ChecksNeedConsent',
      `its .codecontext.json asks to run \`${showCommand(first.command)}\` after it rolls back, and you have not allowed that command here${more}; ` +
        `${howToConsent}; nothing was changed`,
      first.repo,
    );
  }
}

/**
 * A command as a person is asked about it: one line, and what it shows is what runs. Control
 * characters, and the invisible or reordering ones (bidi overrides, zero-width) that could make a
 * command look like another, are written as escapes.
 */
export function showCommand(command: string): string {
  return showPath(command).replace(/[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

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

const configName = '.codecontext.json';

/**
 * Every repo check the plan would run: per repo the plan changes, the `"check"` of the
 * `.codecontext.json` in its goal worktree (what the rollback leaves, so what the check would
 * read), not the file on disk now. A config that is absent, a symlink, or not JSON declares none.
 */
export async function repoChecksOf(plan: Pick<RollbackPlan, 'repos'>, parallelism = 8): Promise<RepoCheck[]> {
  const changing = plan.repos.filter((r) => !sameState(r.current, r.goal));
  const found = await mapLimit(changing, parallelism, async (r) => {
    const command = await goalCheck(r.path, r.goal);
    return command === undefined ? undefined : { repo: r.path, command };
  });
  return found.filter((c): c is RepoCheck => c !== undefined);
}

async function goalCheck(repo: string, goal: RepoState): Promise<string | undefined> {
  const root = (await readObjects(repo, [goal.worktree])).get(goal.worktree);
  if (root?.type !== 'tree') return undefined;
  const blob = configBlob(root.content);
  if (!blob) return undefined;
  const content = (await readObjects(repo, [blob])).get(blob)?.content;
  if (!content) return undefined;
  try {
    const check = (JSON.parse(content.toString('utf8')) as { check?: unknown }).check;
    return typeof check === 'string' && check.trim() ? check : undefined;
  } catch {
    return undefined; // an unreadable config declares no check (dependency order reads it the same way)
  }
}

/** The blob id of a regular file named `.codecontext.json` at the top of a tree object. */
function configBlob(tree: Buffer): string | undefined {
  for (let pos = 0; pos < tree.length;) {
    const space = tree.indexOf(0x20, pos);
    const end = tree.indexOf(0, space);
    const mode = tree.toString('latin1', pos, space);
    const name = tree.toString('latin1', space + 1, end);
    const id = tree.toString('hex', end + 1, end + 21);
    pos = end + 21;
    if (name === configName && (mode === '100644' || mode === '100755')) return id;
  }
  return undefined;
}

/**
 * The checks a plan runs. `check` (the user's own `--check`) runs in every repo that changes, in
 * place of the repos' own. Otherwise a repo's own check runs when `allowed` says so; the others
 * are refused (ChecksNeedConsent, naming `howToConsent`) or, with `unallowed: 'skip'`, left out
 * and listed. A command that only a shell could run is refused here, before anything is locked.
 */
export function decideChecks(
  plan: Pick<RollbackPlan, 'repos'>,
  repoChecks: readonly RepoCheck[],
  options: { check?: string; allowed: (c: RepoCheck) => boolean; unallowed: 'refuse' | 'skip'; howToConsent: string },
): CheckDecision {
  const run: Record<string, string> = {};
  if (options.check !== undefined) {
    wordsOrUsage(options.check, '--check');
    for (const r of plan.repos.filter((x) => !sameState(x.current, x.goal))) run[r.path] = options.check;
    return { run, skipped: [] };
  }
  const refused = repoChecks.filter((c) => !options.allowed(c));
  if (refused.length && options.unallowed === 'refuse') throw new ChecksNeedConsent(refused, options.howToConsent);
  for (const c of repoChecks) if (options.allowed(c)) run[c.repo] = wordsOrUsage(c.command, 'its .codecontext.json "check"', c.repo);
  return { run, skipped: refused };
}

function wordsOrUsage(command: string, what: string, repo?: string): string {
  try {
    checkWords(command);
  } catch (e) {
    throw new EngineError('Usage', `${what}: ${asEngineError(e).message}; nothing was changed`, repo);
  }
  return command;
}

const consentFile = 'consent/repoChecks.json';

interface ConsentFile {
  format: 1;
  /** Each command a user allowed to run in a repo, and when. */
  checks: { repo: string; command: string; at: string }[];
}

function key(c: RepoCheck): string {
  return JSON.stringify([c.repo, c.command]);
}

async function readConsentFile(store: Store): Promise<ConsentFile> {
  const file = await store.readJson<ConsentFile>(consentFile);
  if (file === undefined) return { format: 1, checks: [] };
  const ok =
    file.format === 1 &&
    Array.isArray(file.checks) &&
    file.checks.every((c) => typeof c?.repo === 'string' && typeof c.command === 'string' && typeof c.at === 'string');
  // a consent file we cannot read allows nothing, and says so rather than asking as if it were empty
  if (!ok) throw new EngineError('StoreCorrupt', 'the record of allowed repo checks is not one this version wrote', undefined, store.path(consentFile));
  return file;
}

/** The repo checks the user allowed (by exact repo path and command text), as a test for `decideChecks`. */
export async function consentedChecks(store: Store): Promise<(c: RepoCheck) => boolean> {
  const allowed = new Set((await readConsentFile(store)).checks.map(key));
  return (c) => allowed.has(key(c));
}

/**
 * Records the user's consent to run each check in its repo. Read, add, write atomically: two
 * processes recording at once may lose one entry, and that check then asks again (never the reverse).
 */
export async function recordConsent(store: Store, checks: readonly RepoCheck[]): Promise<void> {
  const file = await readConsentFile(store);
  const known = new Set(file.checks.map(key));
  const added = checks.filter((c) => !known.has(key(c)));
  if (!added.length) return;
  const at = new Date().toISOString();
  for (const c of added) {
    known.add(key(c));
    file.checks.push({ repo: c.repo, command: c.command, at });
  }
  await store.writeJson(consentFile, file);
}
