import * as fs from 'fs';
import { EngineError } from '../engine/util/errors';
import { GitError } from '../engine/git/gitRunner';
import { isBinary, readObjects } from '../engine/git/objectReader';
import { BlobParams, BlobRequest } from '../protocol';
import { resolved } from './params';
import { Services, handle } from './services';

export function registerContentHandlers(s: Services): void {
  handle(s, BlobRequest, BlobParams, async (p) => {
    const repo = resolved(p.repo);
    const blob = p.blob;
    if (!(await fs.promises.stat(repo).catch(() => undefined))?.isDirectory()) throw new EngineError('RepoMissing', 'repository folder not found', repo);
    let found;
    try {
      found = (await readObjects(repo, [blob])).get(blob);
    } catch (e) {
      throw e instanceof GitError ? e.toEngineError() : e;
    }
    if (!found) throw new EngineError('MissingObject', `blob ${blob} is not in this repository`, repo);
    if (found.type !== 'blob') throw new EngineError('MissingObject', `${blob} is a ${found.type}, not a blob`, repo);
    return { repo, blob, size: found.content.length, binary: isBinary(found.content), base64: found.content.toString('base64') };
  });
}
