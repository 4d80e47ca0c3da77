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
  | 'Usage';

export class EngineError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly repo?: string,
    readonly path?: string,
  ) {
    super(message);
    this.name = 'EngineError';
  }

  /** One line for a terminal: `repo: path: message`, leaving out what is not known. */
  oneLine(): string {
    const where = [this.repo, this.path].filter(Boolean).join(': ');
    return where ? `${where}: ${this.message}` : this.message;
  }

  toJSON(): { code: ErrorCode; message: string; repo?: string; path?: string } {
    return { code: this.code, message: this.message, repo: this.repo, path: this.path };
  }
}
