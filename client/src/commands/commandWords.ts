import { parse } from 'shell-quote';

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

/** The words as the confirmation shows them: one JSON array, each word exactly as the process receives it. */
export function showArgv(words: readonly string[]): string {
  return JSON.stringify(words);
}
