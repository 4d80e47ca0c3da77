import * as path from 'path';
import { gitRaw } from './gitRunner';
import { readLooseObject } from './looseObjects';
import { repoLayout } from './repoLayout';

/** Objects read loose in Node, and the rest in one process: `git cat-file --batch`, parsed from its byte stream. */

export interface GitObject {
  id: string;
  type: string;
  content: Buffer;
}

/**
 * Reads the named objects (ids or rev expressions) in one process. A name that does not resolve
 * maps to `undefined`, so the caller decides whether a missing object is an error.
 */
export async function readObjects(repo: string, names: readonly string[]): Promise<Map<string, GitObject | undefined>> {
  const result = new Map<string, GitObject | undefined>();
  // loose objects are read here; only the rest (packed, or named by expression) cost a process
  const objectsDir = names.length ? path.join((await repoLayout(repo)).commonDir, 'objects') : '';
  const unique = [...new Set(names)].filter((name) => {
    const loose = readLooseObject(objectsDir, name);
    if (loose) result.set(name, { id: name, ...loose });
    return !loose;
  });
  if (unique.length === 0) return result;
  const { stdout } = await gitRaw(repo, ['cat-file', '--batch'], { input: unique.join('\n') + '\n', readOnly: true });
  let pos = 0;
  for (const name of unique) {
    const nl = stdout.indexOf(0x0a, pos);
    const header = stdout.subarray(pos, nl).toString('utf8');
    pos = nl + 1;
    if (header.endsWith(' missing') || header.endsWith(' ambiguous')) {
      result.set(name, undefined);
      continue;
    }
    const [id, type, size] = header.split(' ');
    const length = Number(size);
    result.set(name, { id, type, content: stdout.subarray(pos, pos + length) });
    pos += length + 1;
  }
  return result;
}

/** Which of the named objects exist, in one process (`cat-file --batch-check`). */
export async function missingObjects(repo: string, names: readonly string[]): Promise<string[]> {
  const unique = [...new Set(names)];
  if (unique.length === 0) return [];
  const { stdout } = await gitRaw(repo, ['cat-file', '--batch-check'], { input: unique.join('\n') + '\n', readOnly: true });
  const lines = stdout.toString('utf8').split('\n');
  return unique.filter((_, i) => /missing$|ambiguous$/.test(lines[i] ?? 'missing'));
}

/** True when the content looks binary the way git decides it: a NUL in the first 8000 bytes. */
export function isBinary(content: Buffer): boolean {
  return content.subarray(0, 8000).includes(0);
}
