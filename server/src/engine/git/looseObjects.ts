import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { pipeline } from 'stream/promises';
import * as zlib from 'zlib';

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

/**
 * Writes a loose object straight into the object store (`objects/xx/yyyy…`, zlib-deflated, written
 * beside and renamed, as git itself does) and returns its id; an object already stored loose is
 * left alone. Synchronous on purpose: a capture writes a handful of small trees per repo, and the
 * thread-pool round trips of the async calls cost more than the writes (npm run bench).
 */
export function writeLooseObject(objectsDir: string, type: 'tree' | 'commit' | 'blob', content: Buffer): string {
  const header = Buffer.from(`${type} ${content.length}\0`);
  const id = crypto.createHash('sha1').update(header).update(content).digest('hex');
  const file = looseObjectPath(objectsDir, id);
  const dir = path.dirname(file);
  if (fs.existsSync(file)) return id;
  fs.mkdirSync(dir, { recursive: true });
  const temp = path.join(dir, `tmp_obj_cc_${crypto.randomBytes(4).toString('hex')}`);
  fs.writeFileSync(temp, zlib.deflateSync(Buffer.concat([header, content])), { mode: 0o444 });
  try {
    fs.renameSync(temp, file);
  } catch (e) {
    fs.rmSync(temp, { force: true });
    throw e;
  }
  return id;
}

/**
 * `writeLooseObject` of a file's bytes, read, hashed and compressed in pieces in one pass: an
 * evidence pack of 100,000 files is tens of MB, which the whole-buffer way held three times over
 * (issue 21, item 12). The file must not change while it is read (ours: written, then renamed into
 * place). Returns the object's id.
 */
export async function writeLooseObjectFromFile(objectsDir: string, type: 'blob', file: string): Promise<string> {
  const { size } = await fs.promises.stat(file);
  const header = Buffer.from(`${type} ${size}\0`);
  const hash = crypto.createHash('sha1').update(header);
  fs.mkdirSync(objectsDir, { recursive: true });
  const temp = path.join(objectsDir, `tmp_obj_cc_${crypto.randomBytes(4).toString('hex')}`);
  let read = 0;
  try {
    await pipeline(
      async function* () {
        yield header;
        for await (const chunk of fs.createReadStream(file)) {
          hash.update(chunk as Buffer);
          read += (chunk as Buffer).length;
          yield chunk as Buffer;
        }
      },
      zlib.createDeflate(),
      fs.createWriteStream(temp, { mode: 0o444 }),
    );
    if (read !== size) throw new Error(`${file} changed while it was stored`);
    const id = hash.digest('hex');
    const target = looseObjectPath(objectsDir, id);
    if (fs.existsSync(target)) {
      fs.rmSync(temp, { force: true });
      return id;
    }
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.renameSync(temp, target);
    return id;
  } catch (e) {
    fs.rmSync(temp, { force: true });
    throw e;
  }
}

/** A tree object's bytes for entries given as [mode, name, id] (sorted the way git sorts them). */
export function treeContent(entries: readonly [string, string, string][]): Buffer {
  const key = ([mode, name]: [string, string, string]) => (mode === '40000' ? name + '/' : name);
  const sorted = [...entries].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  return Buffer.concat(sorted.flatMap(([mode, name, id]) => [Buffer.from(`${mode} ${name}\0`), Buffer.from(id, 'hex')]));
}

/**
 * A loose object's type and content, read and inflated here; undefined when the object is not
 * stored loose (packed by gc, or absent) or cannot be read, and the caller asks git. Objects a
 * recent capture or commit wrote are loose, so the hot path rarely needs a process for them.
 */
export function readLooseObject(objectsDir: string, id: string): { type: string; content: Buffer } | undefined {
  if (!/^[0-9a-f]{40}$/.test(id)) return undefined;
  let raw: Buffer;
  try {
    raw = zlib.inflateSync(fs.readFileSync(looseObjectPath(objectsDir, id)));
  } catch {
    return undefined;
  }
  const nul = raw.indexOf(0);
  const [type, size] = raw.toString('latin1', 0, nul).split(' ');
  const content = raw.subarray(nul + 1);
  return content.length === Number(size) ? { type, content } : undefined;
}

/** Where git keeps an object stored loose: `objects/xx/yyyy…`. */
export function looseObjectPath(objectsDir: string, id: string): string {
  return path.join(objectsDir, id.slice(0, 2), id.slice(2));
}
