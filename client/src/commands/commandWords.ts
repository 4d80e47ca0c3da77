import { parse } from 'shell-quote';
import { plural } from '../views/format';

/**
 * A command line read into argv words by the rules of server/src/engine/rollback/checks.ts (shell-quote,
 * as a POSIX shell reads quotes and backslashes: `'…'` keeps everything, `"…"` keeps all but `\"`, `\\`,
 * `\$`, and outside quotes `\x` is `x`), for a command that runs without a shell. What only a shell
 * could do — a pipe, a redirection, `&&`, `;`, a glob, `$VAR`, `$(…)`, a backquote, a `#` comment — is
 * named in `needsShell` instead of being passed on as a word or silently dropped.
 */
export interface CommandWords {
  words: string[];
  /** What in the line only a shell does, e.g. `the pipe "|"`; undefined when the words are the whole line. */
  needsShell?: string;
}

/** shell-quote round-trips what the lookup returns through JSON: a plain key, not a symbol. */
const variable = 'codecontext:variable';

export function commandWords(line: string): CommandWords {
  let entries: unknown[];
  try {
    // a variable comes back as an object, so it is seen rather than expanded to nothing
    entries = parse(line, (name: string) => ({ [variable]: name }) as object);
  } catch (e) {
    return { words: [], needsShell: `shell syntax shell-quote cannot read (${(e as Error).message})` };
  }
  const words: string[] = [];
  let needsShell: string | undefined;
  for (const e of entries) {
    if (typeof e === 'string') words.push(e);
    else needsShell ??= describe(e);
  }
  // shell-quote leaves backquotes in the word; a shell would run what they enclose
  if (!needsShell && /`/.test(line) && words.some((w) => w.includes('`'))) needsShell = 'a `command substitution`';
  return { words, needsShell };
}

function describe(entry: unknown): string {
  const e = entry as { op?: string; comment?: string; pattern?: string; [variable]?: string };
  if (e[variable] !== undefined) return e[variable] === '' ? 'a $ substitution' : `the variable $${e[variable]}`;
  if (e.op === 'glob') return `the glob ${e.pattern}`;
  if (e.op === '|') return 'the pipe "|"';
  if (e.op === '>' || e.op === '>>' || e.op === '<') return `the redirection "${e.op}"`;
  if (e.op === '(' || e.op === ')') return 'a ( subshell )';
  if (e.op) return `"${e.op}"`;
  if (e.comment !== undefined) return 'a # comment';
  return 'shell syntax';
}

/**
 * Whether the words are the line as typed, nothing read differently: no quote, backslash or repeated
 * space changed a word. Such a line is shown as it is; only a line the reading changed shows its words.
 */
export function isPlain(line: string, words: readonly string[]): boolean {
  return words.length > 0 && words.every((w) => /^[^\s'"\\$`]+$/.test(w)) && words.join(' ') === line.trim().replace(/\s+/g, ' ');
}

/**
 * The words as a person reads them, not as JSON: separated by wide gaps, a word holding a space (or
 * nothing) between ‹ ›, and characters that would not show (control, invisible, reordering) as
 * \u escapes. `sed  -i  ‹s/a b/c/›  ‹x y.txt›`.
 */
export function showWords(words: readonly string[]): string {
  const escape = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  // eslint-disable-next-line no-control-regex
  const visible = (w: string) => w.replace(/[\x00-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g, escape);
  return words.map((w) => (w === '' || /\s/.test(w) ? `‹${visible(w)}›` : visible(w))).join('  ');
}

/** What "Run Command in Campaign…" asks before it runs: the line, or its words when quotes changed them, or that it needs a shell. */
export interface RunConfirmation {
  message: string;
  detail: string;
  /** One button, the action (VS Code adds Cancel). */
  buttons: string[];
  /** The modal's icon: information for a command as typed; a warning only when the line runs in a shell (variables expand there). */
  severity: 'info' | 'warning';
  /** The words run without a shell (what the process receives), whether or not the line can run that way. */
  argv: string[];
  /** What runs when the line needs a shell: `sh -c <line>`. */
  shellArgv: string[];
  /** Set when the line holds what only a shell does (a pipe, `$VAR`, a glob…): then it runs with `sh -c`. */
  needsShell?: string;
}

/**
 * The confirmation for `line` in a campaign of `repos` repos: one action, in plain words. A plain line
 * is named as typed; a line whose quotes or backslashes made its words shows those words (never as
 * JSON); a line that needs a shell says which part does and that it runs with `sh -c`.
 */
export function runConfirmation(campaign: string, repos: number, line: string): RunConfirmation {
  const { words, needsShell } = commandWords(line);
  const typed = line.trim();
  const shellArgv = ['sh', '-c', line];
  const where = `${plural(repos, 'repo')} of ${campaign}`;
  const after = 'A checkpoint then records what it changed, as a step you can roll back.';
  if (needsShell || !words.length) {
    const uses = needsShell ?? 'shell syntax';
    return {
      message: `Run ${typed} in a shell, in the ${where}?`,
      detail: [`It uses ${uses}, which only a shell does, so each repo runs it with sh -c.`, '', after].join('\n'),
      buttons: ['Run in a Shell'],
      severity: 'warning',
      argv: words,
      shellArgv,
      needsShell: uses,
    };
  }
  const plain = isPlain(line, words);
  return {
    message: plain ? `Run ${typed} in the ${where}?` : `Run ${words[0]} in the ${where}?`,
    detail: (plain
      ? ['Each repo runs it in its own folder, without a shell.', '', after]
      : [`Each repo runs it in its own folder, without a shell, as ${plural(words.length, 'word')}:`, showWords(words), '', after]
    ).join('\n'),
    buttons: ['Run'],
    severity: 'info',
    argv: words,
    shellArgv,
  };
}

/** What the input box says under a line as it is typed: nothing for a plain line; the words its quotes made; or that it needs a shell. */
export function lineNote(line: string): string | undefined {
  if (!line.trim()) return undefined;
  const { words, needsShell } = commandWords(line);
  if (needsShell) return `Uses ${needsShell}: it will run in a shell (sh -c)`;
  if (!words.length || isPlain(line, words)) return undefined;
  return `Runs as ${plural(words.length, 'word')}: ${showWords(words)}`;
}
