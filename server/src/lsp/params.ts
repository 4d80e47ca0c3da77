import * as path from 'path';
import { ErrorCodes as RpcErrorCodes, ResponseError } from 'vscode-languageserver/node';
import { ErrorData, PageParams, defaultPageSize, maxPageSize } from '../protocol';

/**
 * Reads a request's params without trusting them: the client may be another program than ours.
 * Every mistake becomes one `InvalidParams` error naming the field, never a crash deeper down.
 */
export class Params {
  private constructor(
    private readonly method: string,
    private readonly value: Record<string, unknown>,
  ) {}

  static of(method: string, params: unknown): Params {
    if (params === undefined || params === null) return new Params(method, {});
    if (typeof params !== 'object' || Array.isArray(params)) throw invalid(method, 'params must be an object');
    return new Params(method, params as Record<string, unknown>);
  }

  has(name: string): boolean {
    return this.value[name] !== undefined;
  }

  string(name: string): string {
    const v = this.value[name];
    if (typeof v !== 'string' || v === '') throw invalid(this.method, `"${name}" must be a non-empty string`);
    return v;
  }

  optString(name: string): string | undefined {
    return this.value[name] === undefined ? undefined : this.string(name);
  }

  /** An absolute path, normalised. */
  absPath(name: string): string {
    const v = this.string(name);
    if (!path.isAbsolute(v)) throw invalid(this.method, `"${name}" must be an absolute path`);
    return path.resolve(v);
  }

  optAbsPath(name: string): string | undefined {
    return this.value[name] === undefined ? undefined : this.absPath(name);
  }

  optAbsPaths(name: string): string[] | undefined {
    const v = this.value[name];
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || v.some((p) => typeof p !== 'string' || !path.isAbsolute(p))) {
      throw invalid(this.method, `"${name}" must be a list of absolute paths`);
    }
    return v.map((p: string) => path.resolve(p));
  }

  /** `{ [absolute path]: non-empty strings[] }`, keys normalised (a repo's exact files). */
  optPathLists(name: string): Record<string, string[]> | undefined {
    const v = this.value[name];
    if (v === undefined) return undefined;
    const bad = () => invalid(this.method, `"${name}" must map absolute repo paths to lists of paths`);
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw bad();
    const out: Record<string, string[]> = {};
    for (const [k, list] of Object.entries(v as Record<string, unknown>)) {
      if (!path.isAbsolute(k) || !Array.isArray(list) || list.some((x) => typeof x !== 'string' || x === '')) throw bad();
      out[path.resolve(k)] = list as string[];
    }
    return out;
  }

  stringList(name: string): string[] {
    const v = this.value[name];
    if (!Array.isArray(v) || v.length === 0 || v.some((s) => typeof s !== 'string')) {
      throw invalid(this.method, `"${name}" must be a non-empty list of strings`);
    }
    return v as string[];
  }

  optInt(name: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
    const v = this.value[name];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      throw invalid(this.method, `"${name}" must be a whole number from ${min}${max === Number.MAX_SAFE_INTEGER ? '' : ` to ${max}`}`);
    }
    return v;
  }

  optBool(name: string): boolean | undefined {
    const v = this.value[name];
    if (v === undefined) return undefined;
    if (typeof v !== 'boolean') throw invalid(this.method, `"${name}" must be true or false`);
    return v;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const v = this.value[name];
    if (v === undefined) return fallback;
    if (typeof v !== 'string' || !allowed.includes(v as T)) throw invalid(this.method, `"${name}" must be one of ${allowed.join(', ')}`);
    return v as T;
  }

  /** A blob, tree or commit id: 40 (SHA-1) or 64 (SHA-256) hex digits, never a rev expression. */
  objectId(name: string): string {
    const v = this.string(name);
    if (!/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/.test(v)) throw invalid(this.method, `"${name}" must be a full object id (40 or 64 hex digits)`);
    return v;
  }

  /** The `workDoneToken` the client attached, if any. */
  progressToken(): string | number | undefined {
    const v = this.value.workDoneToken;
    if (v === undefined) return undefined;
    if (typeof v !== 'string' && !(typeof v === 'number' && Number.isInteger(v))) throw invalid(this.method, '"workDoneToken" must be a string or an integer');
    return v;
  }

  page(): Required<PageParams> {
    return { offset: this.optInt('offset', 0) ?? 0, limit: this.optInt('limit', 1, maxPageSize) ?? defaultPageSize };
  }
}

export function invalid(method: string, message: string): ResponseError<ErrorData> {
  return new ResponseError(RpcErrorCodes.InvalidParams, `${method}: ${message}`, { code: 'InvalidParams' });
}

/** The page of `items` asked for; `total` is the length of the whole list. */
export function pageOf<T>(items: readonly T[], page: Required<PageParams>): { items: T[]; offset: number; total: number } {
  return { items: items.slice(page.offset, page.offset + page.limit), offset: page.offset, total: items.length };
}
