import * as crypto from 'crypto';
import * as fs from 'fs';
import { encodePath } from '../util/pathBytes';
import { zeroId } from './looseObjects';
import { git } from './gitRunner';

/** One entry to set (`mode` and object id) or, with `entry: null`, to remove. */
export interface TreeEdit {
  path: string;
  entry: { mode: string; id: string } | null;
}

/**
 * The tree `base` with some entries set or removed: read into a temporary index named after
 * `beside` (a capture's scratch name), edited with one `update-index --index-info`, written back.
 * Names keep their bytes (util/pathBytes.ts).
 */
export async function editTree(repo: string, beside: string, base: string, edits: readonly TreeEdit[]): Promise<string> {
  if (edits.length === 0) return base;
  const temp = `${beside}.edit-${crypto.randomBytes(3).toString('hex')}`;
  const env = { GIT_INDEX_FILE: temp };
  const info = edits.map((e) => Buffer.concat([Buffer.from(e.entry ? `${e.entry.mode} ${e.entry.id}\t` : `0 ${zeroId}\t`), encodePath(e.path), Buffer.from([0])]));
  try {
    await git(repo, ['read-tree', base], { env });
    await git(repo, ['update-index', '-z', '--index-info'], { env, input: Buffer.concat(info) });
    return await git(repo, ['write-tree'], { env });
  } finally {
    await fs.promises.rm(temp, { force: true });
  }
}
