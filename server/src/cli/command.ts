import { ParseArgsConfig } from 'util';
import { ProgressSink } from '../engine/util/progress';
import { Store } from '../engine/store/store';

/** What every command gets: the store, the global flags, and where to report progress. */
export interface CliContext {
  store: Store;
  json: boolean;
  parallelism?: number;
  progress?: ProgressSink;
}

/** A command's answer: text for people, a value for --json, and the exit status. */
export interface CommandOutput {
  text: string;
  json: unknown;
  exitCode?: number;
}

export interface ParsedArgs {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
  /** Everything after a bare `--`. */
  rest: string[];
}

export interface Command {
  /** Words that select it, e.g. `snapshot create`. */
  name: string;
  summary: string;
  usage: string;
  /** Real invocations shown by --help; the first is the one to copy. */
  examples: string[];
  /** Lines describing each option. */
  details?: string[];
  options: NonNullable<ParseArgsConfig['options']>;
  /** Positional arguments: [min, max]. */
  positionals: [number, number];
  run(args: ParsedArgs, ctx: CliContext): Promise<CommandOutput>;
}

/** A mistake in how the command was called: exit status 2 and the usage line. */
export class UsageError extends Error {}

export function stringList(v: unknown): string[] {
  return Array.isArray(v) ? v.map(String) : typeof v === 'string' ? [v] : [];
}
