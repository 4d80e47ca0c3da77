import { showPath } from './pathBytes';

/**
 * The one error type the engine throws. The server maps it to a JSON-RPC ResponseError with the
 * same code; the CLI maps it to exit status 1 and one line naming the repo and path.
 */
export type ErrorCode =
  | 'NotARepository'
  | 'RepositoryIsLocked'
  | 'MergeInProgress'
  | 'RebaseInProgress'
  | 'OperationInProgress'
  | 'UnmergedEntries'
  | 'RepoMissing'
  | 'UnknownId'
  | 'AmbiguousId'
  | 'TamperedManifest'
  | 'MissingObject'
  | 'PathEscapesRepo'
  | 'StoreCorrupt'
  | 'NoRepositories'
  | 'CommandFailed'
  | 'GitFailed'
  | 'Cancelled'
  | 'Conflict'
  | 'Drift'
  | 'PlanStale'
  | 'VerifyFailed'
  | 'Busy'
  | 'Usage'
  /** Another process changed a file while a rollback was about to replace it; that file is kept. */
  | 'ConcurrentWrite'
  /** A file system call failed (a full disk, a read-only store, permissions); the message names the call. */
  | 'IoFailed'
  /** A transaction ended but could not write its record or journal end; `recover` finishes it. */
  | 'RecoveryNeeded'
  /** A file git does not see (ignored) is where the rollback would write, and would be lost. */
  | 'IgnoredFileInTheWay'
  /** The rollback cannot be undone: it did not commit, or was undone already. */
  | 'NotUndoable'
  /** A rolling check (`--check`, or a repo's `.codecontext.json` "check") failed or timed out after its repo committed. */
  | 'CheckFailed'
  /** A repo's own check (its `.codecontext.json` "check") would run, and the user has not consented to that command there. */
  | 'ChecksNeedConsent'
  /** A remote could not be reached, listed or fetched, or did not answer in time. */
  | 'RemoteFailed'
  /** A remote refused a push: a lease (someone pushed meanwhile), a hook, or a rule of the server. */
  | 'PushRejected'
  /** Not a refusal but a bug; the message says what failed. */
  | 'Internal';

export class EngineError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly repo?: string,
    readonly path?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'EngineError';
  }

  /** One line for a terminal: `repo: path: message`, leaving out what is not known. */
  oneLine(): string {
    const where = [this.repo, this.path === undefined ? undefined : showPath(this.path)].filter(Boolean).join(': ');
    return where ? `${where}: ${this.message}` : this.message;
  }

  toJSON(): { code: ErrorCode; message: string; repo?: string; path?: string } {
    return { code: this.code, message: this.message, repo: this.repo, path: this.path };
  }
}

/**
 * Any thrown value as an EngineError, keeping what it was: an EngineError as it is; an error that
 * converts itself (GitError) converted; a failed system call as IoFailed naming the call and its
 * errno (ENOSPC stays ENOSPC); anything else as Internal. The original is kept as `cause`.
 */
export function asEngineError(e: unknown, repo?: string, path?: string): EngineError {
  if (e instanceof EngineError) return e;
  const convertible = e as { toEngineError?: () => EngineError };
  if (typeof convertible?.toEngineError === 'function') return convertible.toEngineError();
  const errno = e as NodeJS.ErrnoException;
  if (errno instanceof Error && typeof errno.code === 'string' && /^E[A-Z]+$/.test(errno.code)) {
    return new EngineError('IoFailed', errno.message, repo, path ?? errno.path, { cause: e });
  }
  return new EngineError('Internal', e instanceof Error ? e.message : String(e), repo, path, { cause: e });
}
