import { ResponseError } from 'vscode-languageserver/node';
import { EngineError } from '../engine/util/errors';
import { GitError } from '../engine/git/gitRunner';
import { RollbackFailed } from '../engine/rollback/tx/transaction';
import { ChecksNeedConsent } from '../engine/rollback/plan/repoChecks';
import { ErrorCodes, ErrorData, responseCodeOf } from '../protocol';

/** Another mutating request of this server holds a repo the new one needs. */
export class BusyError extends Error {
  constructor(
    readonly running: string,
    readonly repo: string,
  ) {
    super(`busy: ${running} is working on ${repo}; try again when it finishes`);
    this.name = 'BusyError';
  }
}

/**
 * The one mapping from what a handler threw to what the client receives: engine refusals keep
 * their code, repo and path; anything else is an `Internal` error whose message says what failed.
 */
export function toResponseError(e: unknown): ResponseError<ErrorData> {
  if (e instanceof ResponseError) return e;
  if (e instanceof GitError) e = e.toEngineError();
  if (e instanceof EngineError) {
    // a rollback that failed still has a record and an evidence pack: say which
    const record = e instanceof RollbackFailed ? e.record : undefined;
    const data: ErrorData = {
      code: e.code,
      repo: e.repo,
      path: e.path,
      ...(record ? { rollback: record.id, outcome: record.outcome } : {}),
      ...(e instanceof ChecksNeedConsent ? { checks: e.checks } : {}),
    };
    return new ResponseError(responseCodeOf(e.code), e.oneLine(), data);
  }
  if (e instanceof BusyError) {
    return new ResponseError(ErrorCodes.Busy, e.message, { code: 'Busy', repo: e.repo, running: e.running });
  }
  const message = e instanceof Error ? e.message : String(e);
  return new ResponseError(ErrorCodes.Internal, `internal error: ${message}`, { code: 'Internal' });
}
