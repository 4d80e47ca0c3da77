import * as crypto from 'crypto';

/** Git's object id of a blob with this content, computed without a process. */
export function blobId(content: Buffer): string {
  return crypto.createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}

export const zeroId = '0000000000000000000000000000000000000000';

/** Tree entry modes as git writes them. */
export const Mode = {
  file: '100644',
  exec: '100755',
  symlink: '120000',
  gitlink: '160000',
} as const;

/** Parses `ls-tree -r -z --full-tree` output into path → {mode, id}. */
export function parseLsTree(output: string): Map<string, { mode: string; id: string }> {
  const entries = new Map<string, { mode: string; id: string }>();
  for (const rec of output.split('\0')) {
    if (!rec) continue;
    const tab = rec.indexOf('\t');
    const [mode, , id] = rec.slice(0, tab).split(' ');
    entries.set(rec.slice(tab + 1), { mode, id });
  }
  return entries;
}
