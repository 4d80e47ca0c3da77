import * as fs from 'fs';
import * as path from 'path';
import { randomHex } from '../../util/canonical';
import { blobId, looseObjectPath, writeLooseObjectFromFile } from '../../git/looseObjects';
import { repoLayout, resolveRef } from '../../git/repoLayout';

/**
 * Each repo a rollback touched keeps its evidence pack, as a blob under
 * `refs/codecontext/evidence/<rb>`, so the proof travels with the repo (a clone of its refs, a
 * backup) and does not depend on the store alone. The blob is written once and hard-linked into
 * every other repo's object store (a loose object's file is the same bytes in every repo), so 500
 * repos cost one deflate, not 500; across filesystems it is written again.
 */
export function evidenceRef(rb: string): string {
  return `refs/codecontext/evidence/${rb}`;
}

/**
 * Stores the pack file's bytes in every repo of `repos` that is still there; returns the blob id
 * (undefined when no repo was there). The file is read in pieces, never held whole.
 */
export async function keepWithRepos(packFile: string, rb: string, repos: readonly string[]): Promise<string | undefined> {
  let id: string | undefined;
  let source: string | undefined;
  for (const repo of repos) {
    let objects: string;
    let commonDir: string;
    try {
      ({ commonDir } = await repoLayout(repo));
      objects = path.join(commonDir, 'objects');
    } catch {
      continue; // gone (abandoned, moved): the store's copy is the proof there
    }
    if (id === undefined || source === undefined) {
      id = await writeLooseObjectFromFile(objects, 'blob', packFile);
      source = looseObjectPath(objects, id);
    } else {
      const target = looseObjectPath(objects, id);
      if (!fs.existsSync(target)) {
        try {
          fs.mkdirSync(path.dirname(target), { recursive: true });
          fs.linkSync(source, target);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EEXIST') await writeLooseObjectFromFile(objects, 'blob', packFile);
        }
      }
    }
    const refFile = path.join(commonDir, ...evidenceRef(rb).split('/'));
    fs.mkdirSync(path.dirname(refFile), { recursive: true });
    const temp = `${refFile}.${randomHex(4)}.tmp`;
    fs.writeFileSync(temp, `${id}\n`);
    fs.renameSync(temp, refFile);
  }
  return id;
}

/** Whether a repo's copy of the pack is there and is the store's pack, byte for byte. */
export async function checkRepoCopy(repo: string, rb: string, packBytes: Buffer): Promise<string | undefined> {
  const layout = await repoLayout(repo);
  const id = await resolveRef(layout, evidenceRef(rb));
  if (!id) return `the repo keeps no copy of the pack (${evidenceRef(rb)})`;
  if (id !== blobId(packBytes)) return `the repo's copy of the pack (${evidenceRef(rb)}) is not the store's: one of them was changed`;
  return undefined;
}
