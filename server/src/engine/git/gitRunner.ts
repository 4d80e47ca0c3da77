import { spawn } from 'child_process';
import * as fs from 'fs';
import { ShellPool, ShellResult, maxShellInput } from './shellPool';
import { defaultParallelism } from '../util/pool';
import { EngineError } from '../util/errors';
import { decodePath } from '../util/pathBytes';

/**
 * The one runner for every git call: fixed environment, arguments as an array, a typed error.
 * simple-git is not on this path: it pauses for a fixed interval after every command that prints
 * nothing, and it cannot feed stdin; rollback's hot path is made of exactly such commands.
 */

export type GitErrorCode = 'RepositoryIsLocked' | 'NotAGitRepository' | 'UnmergedEntries' | 'BadObject' | 'RefMismatch' | 'Unknown';

export class GitError extends Error {
  constructor(
    readonly args: readonly string[],
    readonly repo: string,
    readonly exitCode: number | null,
    readonly stderr: string,
    readonly gitCode: GitErrorCode,
  ) {
    super(`git ${subcommand(args)} failed (${exitCode ?? 'signal'}): ${firstLine(stderr)}`);
    this.name = 'GitError';
  }

  /** The engine-level error for this failure, naming the repo. */
  toEngineError(): EngineError {
    if (/No space left on device|disk quota exceeded/i.test(this.stderr)) {
      return new EngineError('IoFailed', `no space left on device (git ${subcommand(this.args)}: ${firstLine(this.stderr)})`, this.repo);
    }
    if (this.gitCode === 'RepositoryIsLocked') {
      return new EngineError('RepositoryIsLocked', `repository is locked: ${firstLine(this.stderr)}`, this.repo);
    }
    if (this.gitCode === 'NotAGitRepository') {
      return new EngineError('NotARepository', 'not a git repository', this.repo);
    }
    if (this.gitCode === 'UnmergedEntries') {
      return new EngineError('UnmergedEntries', 'the index has unmerged entries (resolve the conflicts first)', this.repo);
    }
    return new EngineError('GitFailed', this.message, this.repo);
  }
}

/** The git command a call ran, past `-c key=value` and other global options. */
function subcommand(args: readonly string[]): string {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '-c' || args[i] === '-C') i++;
    else if (!args[i].startsWith('-')) return args[i];
  }
  return args[0] ?? '';
}

function firstLine(text: string): string {
  const line = text.split('\n').find((l) => l.trim() !== '');
  return (line ?? '').trim();
}

function classify(stderr: string): GitErrorCode {
  if (/\.lock': File exists|Unable to create '.*\.lock'|cannot lock ref/.test(stderr)) {
    if (/but expected|is at .* but expected/.test(stderr)) return 'RefMismatch';
    return 'RepositoryIsLocked';
  }
  if (/not a git repository/i.test(stderr)) return 'NotAGitRepository';
  if (/unmerged|needs merge/i.test(stderr)) return 'UnmergedEntries';
  if (/bad object|not a valid object|Not a valid object name|invalid object/i.test(stderr)) return 'BadObject';
  return 'Unknown';
}

/**
 * Variables that would point git at another repository, index or object store than the one we
 * name. We inherit the rest of the environment (proxies, CA files, GIT_CONFIG_NOSYSTEM…) on
 * purpose, but these would make a command run inside a git hook act on the wrong repo.
 */
const repoLocationVariables = new Set([
  'GIT_DIR',
  'GIT_WORK_TREE',
  'GIT_INDEX_FILE',
  'GIT_OBJECT_DIRECTORY',
  'GIT_ALTERNATE_OBJECT_DIRECTORIES',
  'GIT_COMMON_DIR',
  'GIT_NAMESPACE',
  'GIT_PREFIX',
  'GIT_QUARANTINE_PATH',
]);

let baseEnv: NodeJS.ProcessEnv | undefined;
/** The environment every git process of ours runs with, taken once from the process's own. */
export function environment(): NodeJS.ProcessEnv {
  if (!baseEnv) {
    baseEnv = {};
    for (const [k, v] of Object.entries(process.env)) {
      if (!repoLocationVariables.has(k)) baseEnv[k] = v;
    }
    Object.assign(baseEnv, { LC_ALL: 'C', GIT_PAGER: 'cat', PAGER: 'cat', GIT_TERMINAL_PROMPT: '0', GIT_EDITOR: 'true' });
  }
  return baseEnv;
}

export interface GitOptions {
  /** Extra variables, e.g. GIT_INDEX_FILE for a temporary index. */
  env?: Record<string, string>;
  /** Bytes for stdin. */
  input?: string | Buffer;
  /** A read that must not take optional locks (`GIT_OPTIONAL_LOCKS=0`), e.g. status. */
  readOnly?: boolean;
  /** Exit codes that are answers, not failures (e.g. 1 for `rev-parse --verify -q`). */
  okCodes?: readonly number[];
}

export interface GitResult {
  stdout: Buffer;
  stderr: string;
  exitCode: number;
}

export type GitLogger = (line: string) => void;
let logger: GitLogger | undefined;
/** Every git command and its time goes to this logger (the server's output channel, `--verbose`). */
export function setGitLogger(fn: GitLogger | undefined): void {
  logger = fn;
}

let spawned = 0;
/** How many git processes this process has started; benchmarks and tests read it. */
export function gitProcessCount(): number {
  return spawned;
}

/**
 * How git processes are started: `shells` (the default) forks them from long-lived small shells
 * (shellPool.ts), so a start costs the same whatever this process's size; `direct` spawns each from
 * this process, where a start copies its page tables and grows with its RSS (issue 27). The
 * environment's `CODECONTEXT_GIT_SPAWN=direct` picks `direct`, read once, at the first git command;
 * a platform without a POSIX shell always runs `direct`. `npm run bench -- --spawn-ab` compares both.
 */
export type GitSpawnMode = 'shells' | 'direct';
let spawnMode: GitSpawnMode | undefined;
let shells: ShellPool | undefined;
const shellsAvailable = () => process.platform !== 'win32' && fs.existsSync('/bin/sh');

/** The mode git commands start in now (see `GitSpawnMode`). */
export function gitSpawnMode(): GitSpawnMode {
  if (!spawnMode) spawnMode = process.env.CODECONTEXT_GIT_SPAWN === 'direct' || !shellsAvailable() ? 'direct' : 'shells';
  return spawnMode;
}

/**
 * Switches the mode for the commands started from now on (the bench's same-run A/B, tests); `shells`
 * falls back to `direct` where there is no POSIX shell. Idle shells stay for a later switch back.
 */
export function setGitSpawnMode(mode: GitSpawnMode): void {
  spawnMode = mode === 'shells' && !shellsAvailable() ? 'direct' : mode;
}

function shellPool(): ShellPool | undefined {
  if (gitSpawnMode() === 'direct') return undefined;
  shells ??= new ShellPool(environment(), defaultParallelism);
  return shells;
}

/** Runs git in `repo` and resolves with raw stdout; rejects with a GitError. */
export async function gitRaw(repo: string, args: readonly string[], options: GitOptions = {}): Promise<GitResult> {
  const started = Date.now();
  const extraEnv = { ...(options.readOnly ? { GIT_OPTIONAL_LOCKS: '0' } : {}), ...options.env };
  const input = typeof options.input === 'string' ? Buffer.from(options.input) : options.input;
  spawned++;
  const pool = shellPool();
  const result =
    pool && (input?.length ?? 0) <= maxShellInput ? await pool.run({ cwd: repo, args, env: extraEnv, input }) : await spawnGit(repo, args, extraEnv, input);
  logger?.(`git ${args.join(' ')} (${repo}) ${Date.now() - started} ms → ${result.exitCode}`);
  if (result.exitCode === 0 || (result.exitCode !== null && options.okCodes?.includes(result.exitCode))) {
    return { stdout: result.stdout, stderr: result.stderr, exitCode: result.exitCode };
  }
  throw new GitError(args, repo, result.exitCode, result.stderr, classify(result.stderr));
}

function spawnGit(repo: string, args: readonly string[], extraEnv: Record<string, string>, input: Buffer | undefined): Promise<ShellResult> {
  return new Promise((resolve) => {
    const child = spawn('git', args as string[], { cwd: repo, env: { ...environment(), ...extraEnv }, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let spawnError = '';
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => (spawnError = String(e)));
    child.on('close', (code) =>
      resolve({ stdout: Buffer.concat(out), stderr: spawnError || Buffer.concat(err).toString('utf8'), exitCode: spawnError ? null : code }),
    );
    // A child that exits before reading stdin gives EPIPE; its exit code tells the real story.
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? '');
  });
}

/**
 * Runs git in `repo`, handing stdout to `onData` as it arrives instead of gathering it: for output
 * as large as the repo (every file's diff). Through the shells like `gitRaw` (a process of its own
 * where there are none); logged, counted and failed (a GitError) as `gitRaw` is. An `onData` that
 * throws is given nothing more, and its error is the one thrown.
 */
export async function gitStream(repo: string, args: readonly string[], onData: (chunk: Buffer) => void, options: GitOptions = {}): Promise<void> {
  const started = Date.now();
  const extraEnv = { ...(options.readOnly ? { GIT_OPTIONAL_LOCKS: '0' } : {}), ...options.env };
  spawned++;
  let failed: { error: unknown } | undefined;
  const take = (b: Buffer) => {
    if (failed) return;
    try {
      onData(b);
    } catch (error) {
      failed = { error };
    }
  };
  const pool = shellPool();
  const result = pool
    ? await pool.run({ cwd: repo, args, env: extraEnv, onData: take })
    : await spawnStream(repo, args, extraEnv, take, () => failed !== undefined);
  logger?.(`git ${args.join(' ')} (${repo}) ${Date.now() - started} ms → ${result.exitCode}`);
  if (failed) throw failed.error;
  if (result.exitCode === 0 || (result.exitCode !== null && options.okCodes?.includes(result.exitCode))) return;
  throw new GitError(args, repo, result.exitCode, result.stderr, classify(result.stderr));
}

/** `gitStream` in a process of its own, stopped once `stop()` says so. */
function spawnStream(
  repo: string,
  args: readonly string[],
  extraEnv: Record<string, string>,
  onData: (chunk: Buffer) => void,
  stop: () => boolean,
): Promise<{ exitCode: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('git', args as string[], { cwd: repo, env: { ...environment(), ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
    const err: Buffer[] = [];
    let spawnError = '';
    child.stdout.on('data', (b: Buffer) => {
      onData(b);
      if (stop()) child.kill();
    });
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => (spawnError = String(e)));
    child.on('close', (code) => resolve({ exitCode: spawnError ? null : code, stderr: spawnError || Buffer.concat(err).toString('utf8') }));
  });
}

/** Runs git and returns stdout as UTF-8 text without the final newline. */
export async function git(repo: string, args: readonly string[], options: GitOptions = {}): Promise<string> {
  const { stdout } = await gitRaw(repo, args, options);
  return stdout.toString('utf8').replace(/\n$/, '');
}

/**
 * Splits `-z` output into fields (the last, empty field is dropped). Fields of a Buffer are
 * decoded as names (util/pathBytes.ts), so a path that is not UTF-8 keeps its bytes.
 */
export function splitZ(output: Buffer | string): string[] {
  if (typeof output === 'string') {
    const fields = output.split('\0');
    if (fields[fields.length - 1] === '') fields.pop();
    return fields;
  }
  const fields: string[] = [];
  let start = 0;
  for (let i = output.indexOf(0); i >= 0; i = output.indexOf(0, start)) {
    fields.push(decodePath(output.subarray(start, i)));
    start = i + 1;
  }
  if (start < output.length) fields.push(decodePath(output.subarray(start)));
  return fields;
}

/** Object ids of the empty tree, which every repo knows without storing it. */
export const emptyTree = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
