import * as fs from 'fs';

/**
 * Small synchronous file reads for the hot path. A layout, a HEAD, a lock or an lstat is a few
 * microseconds of work, made several times per repo in every phase; through fs.promises each one
 * is a thread-pool round trip, and a thrown ENOENT builds an Error with a stack. On 2 cores under
 * eight git processes those costs, not the reads, were a fifth of a rollback (npm run bench).
 */

/** The file's text, or undefined when it is absent or unreadable (a folder, a permission). */
export function readText(file: string): string | undefined {
  try {
    // existsSync first: most names asked for are absent, and an absent one then throws nothing
    return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
  } catch {
    return undefined;
  }
}

/** lstat, or undefined when nothing is there (a parent that is a file counts as nothing). */
export function lstatOrNone(p: string | Buffer): fs.Stats | undefined {
  try {
    return fs.lstatSync(p, { throwIfNoEntry: false });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw e;
  }
}
