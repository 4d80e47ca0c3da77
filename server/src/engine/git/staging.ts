import * as fs from 'fs';
import * as path from 'path';
import { EngineError } from '../util/errors';
import { readLooseObject } from './looseObjects';
import { readObjects } from './objectReader';
import { RepoLayout } from './repoLayout';

/**
 * Writing blobs into the stage folder, byte for byte. A capture stores the bytes that were on
 * disk (repoState.ts), whatever filters and line-ending settings would make of them, so they are
 * written back as they are: no smudge, no eol conversion. Loose blobs are read here; packed ones
 * with one `cat-file --batch`.
 */

export interface StageFile {
  /** Path in the repo, as text. */
  path: string;
  mode: string;
  blob: string;
}

/**
 * Writes each file into `stageDir` under a name of its own (its number: one flat folder, so no
 * folders to make here or to walk when the stage is emptied) and returns where each path went.
 */
export async function stageBlobs(repo: string, layout: RepoLayout, stageDir: string, files: readonly StageFile[]): Promise<StagedFiles> {
  const staged = new StagedFiles(stageDir);
  // in batches: a blob read is held until its file is written, and a small loose one inflated
  // keeps zlib's 16 KiB chunk, so a hundred thousand files read first held gigabytes
  for (let start = 0; start < files.length; start += stageBatch) {
    const batch = files.slice(start, start + stageBatch);
    const contents = await readContents(repo, layout, batch);
    batch.forEach((f, j) => {
      const content = contents.get(f.blob);
      if (!content) throw new EngineError('MissingObject', `blob ${f.blob} is missing; was the repo re-cloned or gc'd?`, repo, f.path);
      const target = path.join(stageDir, String(start + j));
      // created exclusively, so the mode below is the one it gets; a killed restore's file of the
      // same name is removed first
      const write = () =>
        f.mode === '120000'
          ? fs.symlinkSync(content, target)
          : // the modes git creates files with, the umask applied the same way
            fs.writeFileSync(target, content, { mode: f.mode === '100755' ? 0o777 : 0o666, flag: 'wx' });
      try {
        write();
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        fs.rmSync(target, { recursive: true, force: true });
        write();
      }
      staged.set(f.path, start + j);
    });
  }
  return staged;
}

/**
 * Where each path was staged: its number in the stage folder, the file's name made when asked. A
 * map of 100,000 whole file names was held from prepare to the end of commit (issue 21, item 12).
 */
export class StagedFiles {
  private readonly slots = new Map<string, number>();

  constructor(private readonly dir: string) {}

  set(file: string, slot: number): void {
    this.slots.set(file, slot);
  }

  /** The staged file of `file` (a path in the repo), or undefined when it was not staged. */
  get(file: string): string | undefined {
    const slot = this.slots.get(file);
    return slot === undefined ? undefined : path.join(this.dir, String(slot));
  }

  keys(): IterableIterator<string> {
    return this.slots.keys();
  }
}

/** Files staged per batch: one `cat-file --batch` for the packed blobs of each. */
const stageBatch = 1000;

/** The content of each blob of `files`: loose ones read here, packed ones in one batch from git. */
async function readContents(repo: string, layout: RepoLayout, files: readonly StageFile[]): Promise<Map<string, Buffer>> {
  const objects = path.join(layout.commonDir, 'objects');
  const contents = new Map<string, Buffer>();
  const packed: string[] = [];
  for (const f of files) {
    if (contents.has(f.blob)) continue;
    const loose = readLooseObject(objects, f.blob);
    if (loose?.type === 'blob') contents.set(f.blob, loose.content);
    else packed.push(f.blob);
  }
  if (packed.length) {
    for (const [id, o] of await readObjects(repo, packed)) if (o?.type === 'blob') contents.set(id, o.content);
  }
  return contents;
}
