import { parseArgs } from 'util';
import { campaignCommands } from './cli/campaignCommands';
import { CliContext, Command, CommandOutput, ParsedArgs, UsageError } from './cli/command';
import { terminalProgress } from './cli/progressLine';
import { reposCommand } from './cli/reposCommand';
import { encodePath } from './engine/util/pathBytes';
import { rollbackCommands } from './cli/rollbackCommands';
import { snapshotCommands } from './cli/snapshotCommands';
import { asEngineError } from './engine/util/errors';
import { setGitLogger } from './engine/git/gitRunner';
import { Store } from './engine/store/store';
import { toolVersion } from './engine/util/version';
import { mcpCommand } from './mcp/mcpServer';
import { watchCommand } from './cli/watchCommand';

/**
 * The `codecontext` CLI: the engine, entered directly. Exit status 0 on success, 1 when the engine
 * refused or failed (one line on stderr naming the repo and path), 2 for a usage mistake.
 */

const commands: Command[] = [...snapshotCommands, ...campaignCommands, ...rollbackCommands, reposCommand, watchCommand, mcpCommand];

const globalOptions = {
  store: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  verbose: { type: 'boolean' },
  parallel: { type: 'string' },
  version: { type: 'boolean' },
} as const;

const globalHelp = [
  'Global options:',
  '  --store DIR    the store (default: $CODECONTEXT_HOME, else the per-user data folder)',
  '  --json         machine-readable output on stdout; errors too, as {"error": {code, message, repo, path}}',
  '  --parallel N   repos worked on at once (default: 4 × CPUs, from 4 to 8)',
  '  --verbose      log every git command and its time on stderr',
  '  -h, --help     help for any command',
];

function overview(): string {
  const groups = commands.map((c) => `  ${c.usage.replace(/^codecontext /, '').padEnd(0)}\n      ${c.summary}`);
  return [
    `codecontext ${toolVersion} — undo an automated change campaign across many repos, exactly.`,
    '',
    'Usage: codecontext [--store DIR] [--json] <command> [options]',
    '',
    'Commands:',
    ...groups,
    '',
    ...globalHelp,
    '',
    'Example:',
    '  codecontext campaign start rename-logger --root ~/src/services',
    "  codecontext campaign run rename-logger -- sed -i 's/oldLogger/newLogger/g' src/log.ts",
    '  codecontext campaign log rename-logger',
    '',
    'Help for one command: codecontext <command> --help',
  ].join('\n');
}

function commandHelp(c: Command): string {
  return [
    `Usage: ${c.usage}`,
    '',
    `${c.summary[0].toUpperCase()}${c.summary.slice(1)}.`,
    ...(c.details?.length ? ['', ...c.details.map((d) => `  ${d}`)] : []),
    '',
    `Example${c.examples.length > 1 ? 's' : ''}:`,
    ...c.examples.map((e) => `  ${e}`),
    '',
    ...globalHelp,
  ].join('\n');
}

/** Finds the command named by the leading words of argv (`snapshot create …`). */
function findCommand(words: string[]): { command?: Command; group: Command[]; consumed: number } {
  // longest name first, so `rollback undo` wins over `rollback`
  for (const c of [...commands].sort((a, b) => b.name.split(' ').length - a.name.split(' ').length)) {
    const parts = c.name.split(' ');
    if (parts.every((p, i) => words[i] === p)) return { command: c, group: [], consumed: parts.length };
  }
  const group = commands.filter((c) => c.name.split(' ')[0] === words[0]);
  return { group, consumed: group.length ? 1 : 0 };
}

/** The non-option words of argv, skipping the values of global options given before the command. */
function commandWords(args: string[]): string[] {
  const words: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--store' || a === '--parallel') i++;
    else if (!a.startsWith('-')) words.push(a);
  }
  return words;
}

interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

// stdout as bytes: a diff's line that is not UTF-8 is printed as it is (util/pathBytes), not as U+FFFD
export async function main(argv: string[], io: Io = { out: (t) => process.stdout.write(encodePath(t)), err: (t) => process.stderr.write(t) }): Promise<number> {
  const dash = argv.indexOf('--');
  const head = dash >= 0 ? argv.slice(0, dash) : argv;
  const rest = dash >= 0 ? argv.slice(dash + 1) : [];
  const words = commandWords(head);
  const wantsJson = head.includes('--json');
  const { command, group, consumed } = findCommand(words);

  const fail = (code: number, error: { code: string; message: string; repo?: string; path?: string }, line: string): number => {
    if (wantsJson) io.out(JSON.stringify({ error }, null, 2) + '\n');
    io.err(`codecontext: ${line}\n`);
    return code;
  };

  if (!command) {
    if (head.includes('--version')) {
      io.out(`${toolVersion}\n`);
      return 0;
    }
    if (words.length === 0 || (words[0] === 'help' && words.length === 1)) {
      io.out(overview() + '\n');
      return words.length === 0 && !head.includes('--help') && !head.includes('-h') ? 2 : 0;
    }
    if (words[0] === 'help') {
      const found = findCommand(words.slice(1));
      if (found.command) {
        io.out(commandHelp(found.command) + '\n');
        return 0;
      }
    }
    if (group.length) {
      const text = group.map((c) => `  ${c.usage}\n      ${c.summary}`).join('\n');
      const asked = head.includes('--help') || head.includes('-h');
      if (asked) {
        io.out(`Commands of "${words[0]}":\n${text}\n`);
        return 0;
      }
      const message = words[1] ? `unknown command "${words[0]} ${words[1]}"` : `"${words[0]}" needs a subcommand`;
      return fail(2, { code: 'Usage', message }, `${message}\n${text}`);
    }
    return fail(2, { code: 'Usage', message: `unknown command "${words[0]}"` }, `unknown command "${words[0]}" (see codecontext --help)`);
  }

  let parsed: ParsedArgs;
  try {
    const { values, positionals } = parseArgs({
      args: head,
      options: { ...globalOptions, ...command.options },
      allowPositionals: true,
      strict: true,
    });
    if (values.help) {
      io.out(commandHelp(command) + '\n');
      return 0;
    }
    const own = positionals.slice(consumed);
    const [min, max] = command.positionals;
    if (own.length < min) throw new UsageError(`missing argument\nUsage: ${command.usage}`);
    if (own.length > max) throw new UsageError(`unexpected argument "${own[max]}"\nUsage: ${command.usage}`);
    parsed = { values: values as ParsedArgs['values'], positionals: own, rest };
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    return fail(2, { code: 'Usage', message }, message.includes('Usage:') ? message : `${message}\nUsage: ${command.usage}`);
  }

  const values = parsed.values;
  let parallelism: number | undefined;
  if (values.parallel !== undefined) {
    // digits only: Number() would take 1e3, 0x10 and " 8 "
    parallelism = /^[0-9]{1,3}$/.test(String(values.parallel)) ? Number(values.parallel) : NaN;
    if (!Number.isInteger(parallelism) || parallelism < 1 || parallelism > 64) {
      return fail(2, { code: 'Usage', message: '--parallel takes a whole number from 1 to 64' }, '--parallel takes a whole number from 1 to 64');
    }
  }
  if (values.verbose) setGitLogger((line) => io.err(line + '\n'));
  const progress = wantsJson ? { done: () => undefined } : terminalProgress();
  const ctx: CliContext = { store: Store.locate(values.store as string | undefined), json: wantsJson, parallelism, progress: progress.sink };
  let output: CommandOutput;
  try {
    output = await command.run(parsed, ctx);
  } catch (e) {
    progress.done();
    if (e instanceof UsageError) return fail(2, { code: 'Usage', message: e.message }, e.message);
    // a failed system call (a full disk, a read-only store) is one line naming the call, not a bug
    const err = asEngineError(e);
    if (err.code !== 'Internal') return fail(1, err.toJSON(), err.oneLine());
    return fail(1, { code: 'Internal', message: err.message }, `internal error: ${err.message}`);
  }
  progress.done();
  if (wantsJson && output.json !== undefined) io.out(JSON.stringify(output.json, null, 2) + '\n');
  else if (output.text) io.out(output.text + '\n');
  return output.exitCode ?? 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`codecontext: internal error: ${e instanceof Error ? e.stack : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
