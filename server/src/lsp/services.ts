import { CancellationToken, Connection, RequestHandler, RequestType } from 'vscode-languageserver/node';
import type * as z from 'zod/mini';
import { ErrorCodes, ErrorData, describeInvalidParams } from '../protocol';
import { RepoLocks } from './busy';
import { toResponseError } from './errors';
import { invalid } from './params';
import { ProgressReporter, Work } from './progress';
import { Workspace } from './workspace';

/** What every handler module gets from the server. */
export interface Services {
  connection: Connection;
  workspace: Workspace;
  locks: RepoLocks;
  progress: ProgressReporter;
  /** Settles once `initialized` has been handled (settings read, store watched); requests wait for it. */
  ready: Promise<void>;
  log(line: string): void;
}

/**
 * Registers a request handler whose params are first checked against the request's schema in
 * protocol.ts (the client may be another program than ours: a mistake is one `InvalidParams`
 * naming the field, never a crash deeper down), and turns whatever it throws into the protocol's
 * error shape. A handler can fail; the server goes on serving.
 */
export function handle<S extends z.ZodMiniType, R>(
  s: Services,
  type: RequestType<z.input<S>, R, ErrorData>,
  schema: S,
  fn: (p: z.output<S>, token: CancellationToken) => Promise<R>,
): void {
  const handler = async (params: unknown, token: CancellationToken): Promise<R> => {
    const started = Date.now();
    try {
      await s.ready;
      const parsed = schema.safeParse(params ?? {});
      if (!parsed.success) throw invalid(type.method, describeInvalidParams(parsed.error));
      const result = await fn(parsed.data, token);
      s.log(`${type.method} ${Date.now() - started} ms`);
      return result;
    } catch (e) {
      const error = toResponseError(e);
      s.log(`${type.method} failed after ${Date.now() - started} ms: ${error.message}`);
      if (error.code === ErrorCodes.Internal && e instanceof Error && e.stack) s.log(e.stack);
      throw error;
    }
  };
  // the library's conditional result type does not resolve for a generic R; the cast is only that
  s.connection.onRequest(type, handler as unknown as RequestHandler<z.input<S>, R, ErrorData>);
}

/**
 * Runs a mutating request: holds its repos (refusing at once if another request holds one), then
 * reports work-done progress under `title` for the engine's `phases` until `fn` settles.
 */
export async function mutate<R>(
  s: Services,
  p: { workDoneToken?: string | number },
  token: CancellationToken,
  job: { what: string; paths: readonly string[] | 'all'; title: string; phases: readonly string[] },
  fn: (work: Work) => Promise<R>,
): Promise<R> {
  return s.locks.run(job.what, job.paths, async () => {
    const work = await s.progress.begin(job.title, job.phases, p.workDoneToken, token);
    try {
      const result = await fn(work);
      work.done();
      return result;
    } catch (e) {
      work.done(work.cancel.cancelled ? 'cancelled' : 'failed');
      throw e;
    }
  });
}
