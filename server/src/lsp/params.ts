import * as path from 'path';
import { ErrorCodes as RpcErrorCodes, ResponseError } from 'vscode-languageserver/node';
import { ErrorData, PageParams, defaultPageSize } from '../protocol';

/**
 * What handlers do with params the protocol's schemas have checked (lsp/services.ts validates
 * them before a handler runs): normalise paths, fill in a page's defaults.
 */

/** An absolute path from the client, normalised (`/a/b/../c/` → `/a/c`) so it compares with the store's. */
export function resolved<T extends string | undefined>(p: T): T {
  return (p === undefined ? undefined : path.resolve(p)) as T;
}

export function resolvedAll(paths: readonly string[] | undefined): string[] | undefined {
  return paths?.map((p) => path.resolve(p));
}

/** `{ [repo]: paths[] }` with each repo's path normalised (its files are the plan's names, left as they are). */
export function resolvedKeys<T>(byRepo: Record<string, T> | undefined): Record<string, T> | undefined {
  return byRepo && Object.fromEntries(Object.entries(byRepo).map(([repo, v]) => [path.resolve(repo), v]));
}

/** A page window with its defaults. */
export function pageWindow(p: PageParams): Required<PageParams> {
  return { offset: p.offset ?? 0, limit: p.limit ?? defaultPageSize };
}

export function invalid(method: string, message: string): ResponseError<ErrorData> {
  return new ResponseError(RpcErrorCodes.InvalidParams, `${method}: ${message}`, { code: 'InvalidParams' });
}

/** The page of `items` asked for; `total` is the length of the whole list. */
export function pageOf<T>(items: readonly T[], page: Required<PageParams>): { items: T[]; offset: number; total: number } {
  return { items: items.slice(page.offset, page.offset + page.limit), offset: page.offset, total: items.length };
}
