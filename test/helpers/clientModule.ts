import * as path from 'path';

/**
 * A module of the client's pure logic (no `vscode` import: wording, titles, plurals) as `tsc -b` compiled
 * it into out/client, loaded in plain Node so a unit test can read it. The client's rootDir is its src/
 * folder, so a plain relative import from a test would point at a path that is not emitted; the type
 * comes from `typeof import('../../client/src/…')` (test/tsconfig.json references the client project).
 */
export function clientModule<T>(rel: string): T {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(path.resolve(__dirname, '..', '..', 'client', rel)) as T;
}
