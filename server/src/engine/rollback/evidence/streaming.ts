import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { canonicalSha256, randomHex, smallJson } from '../../util/canonical';
import { publishAtomic } from '../../store/store';

export { canonicalSha256 };

/**
 * A pack's large files written in pieces: a rollback of a hundred thousand files has a patch file,
 * a page and a JSON list of that many entries, and building each as one string (and again for its
 * hash, and again indented) is what held gigabytes. Each writer here gives the same bytes, and the
 * same hash, as its whole-string counterpart: `canonicalSha256(v)` is `sha256(canonicalJson(v))`,
 * `prettyJsonChunks(v)` joined is `JSON.stringify(v, null, 2)`.
 */

/** Bytes gathered before a write: few system calls, little held. */
const writeBatch = 1 << 20;

/**
 * Writes the pieces to `file` as `writeFileAtomic` does (temporary file, fsync, rename, fsync of
 * the folder) and returns the sha256 of the bytes written. A piece that throws leaves no file.
 */
export async function writeChunksAtomic(
  file: string,
  chunks: Iterable<string>,
  encode: (text: string) => Buffer = (t) => Buffer.from(t, 'utf8'),
): Promise<string> {
  const dir = path.dirname(file);
  await fs.promises.mkdir(dir, { recursive: true });
  const temp = path.join(dir, `.${path.basename(file)}.${randomHex(4)}.tmp`);
  const hash = crypto.createHash('sha256');
  const handle = await fs.promises.open(temp, 'w');
  try {
    let pending: string[] = [];
    let size = 0;
    const flush = async () => {
      const bytes = encode(pending.join(''));
      pending = [];
      size = 0;
      hash.update(bytes);
      await handle.write(bytes);
    };
    for (const c of chunks) {
      pending.push(c);
      size += c.length;
      if (size >= writeBatch) await flush();
    }
    await flush();
    await handle.sync();
  } catch (e) {
    await handle.close();
    await fs.promises.rm(temp, { force: true });
    throw e;
  }
  await handle.close();
  await publishAtomic(temp, file);
  return hash.digest('hex');
}

/**
 * `JSON.stringify(value, null, 2)` in pieces: what `smallJson` takes whole is stringified whole and
 * indented to its depth, the rest walked. For JSON data: plain objects, arrays, strings, numbers,
 * booleans and null (no `toJSON`).
 */
export function* prettyJsonChunks(value: unknown, indent = ''): Generator<string> {
  const inner = indent + '  ';
  if (smallJson(value)) {
    yield indented(value, indent);
  } else if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) {
      yield `${i ? ',' : '['}\n${inner}`;
      yield* prettyJsonChunks(v === undefined || typeof v === 'function' || typeof v === 'symbol' ? null : v, inner);
    }
    yield `\n${indent}]`;
  } else {
    const o = value as Record<string, unknown>;
    const keys = Object.keys(o).filter((k) => o[k] !== undefined && typeof o[k] !== 'function' && typeof o[k] !== 'symbol');
    if (keys.length === 0) return void (yield '{}');
    for (const [i, k] of keys.entries()) {
      yield `${i ? ',' : '{'}\n${inner}${JSON.stringify(k)}: `;
      yield* prettyJsonChunks(o[k], inner);
    }
    yield `\n${indent}}`;
  }
}

/** One value as `JSON.stringify(v, null, 2)` gives it, its lines indented to `indent`: JSON text has no raw newline but between tokens. */
function indented(value: unknown, indent: string): string {
  const text = JSON.stringify(value === undefined || typeof value === 'function' || typeof value === 'symbol' ? null : value, null, 2);
  return indent ? text.replace(/\n/g, `\n${indent}`) : text;
}
